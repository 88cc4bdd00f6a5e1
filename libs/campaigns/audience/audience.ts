import { HttpStatus } from '@nestjs/common';
import { fieldError } from '../../http/api-error.filter.js';
import { ROLES, type Role } from '../../users/user.entity.js';
import type { CampaignAudience } from '../campaign.entity.js';
import { parseCsv } from './csv.js';

/** The most recipients an audience may name: user ids, or rows of a CSV file. */
export const MAX_AUDIENCE_SIZE = 100_000;
/** The most ids (or roles) one segment criterion may list. */
export const MAX_SEGMENT_CRITERION_SIZE = 1_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KINDS = ['userIds', 'segment', 'csvAttachmentId'] as const;
const SEGMENT_CRITERIA = ['roles', 'programIds', 'clientAccountIds', 'teamIds'] as const;
export type SegmentCriterion = (typeof SEGMENT_CRITERIA)[number];
export type Segment = Extract<CampaignAudience, { segment: unknown }>['segment'];

const UNPROCESSABLE = HttpStatus.UNPROCESSABLE_ENTITY;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The audience of a campaign request, checked for shape only (whether the ids name anything is
 * AudienceService.check's business): exactly one of `userIds` (1..100,000 UUIDs), `segment` (at least one
 * criterion, each a non-empty list) or `csvAttachmentId`. A malformed value is a 400 and an empty or
 * oversized one a 422, each naming the field. What it returns is normalised: ids lower-cased, a segment
 * criterion's repeats dropped; `userIds` keep their order and repeats (the snapshot removes those).
 */
export function parseAudience(input: unknown): CampaignAudience {
  if (!isObject(input)) throw fieldError('audience', `must be an object with one of ${KINDS.join(', ')}`);
  for (const key of Object.keys(input)) {
    if (!(KINDS as readonly string[]).includes(key)) throw fieldError(`audience.${key}`, 'is not allowed');
  }
  const given = KINDS.filter((kind) => input[kind] !== undefined);
  if (given.length !== 1) throw fieldError('audience', `must have exactly one of ${KINDS.join(', ')}`);

  switch (given[0]) {
    case 'userIds':
      return { userIds: parseUserIds(input.userIds) };
    case 'segment':
      return { segment: parseSegment(input.segment) };
    case 'csvAttachmentId':
      if (typeof input.csvAttachmentId !== 'string' || !UUID.test(input.csvAttachmentId)) {
        throw fieldError('audience.csvAttachmentId', 'must be the UUID of an uploaded CSV file');
      }
      return { csvAttachmentId: input.csvAttachmentId.toLowerCase() };
  }
}

function parseUserIds(value: unknown): string[] {
  const field = 'audience.userIds';
  if (!Array.isArray(value)) throw fieldError(field, 'must be an array of user ids');
  if (value.length === 0) throw fieldError(field, 'must name at least one user', UNPROCESSABLE);
  if (value.length > MAX_AUDIENCE_SIZE) throw fieldError(field, `must name at most ${MAX_AUDIENCE_SIZE.toLocaleString('en')} users`, UNPROCESSABLE);
  return value.map((id: unknown, index) => {
    if (typeof id !== 'string' || !UUID.test(id)) throw fieldError(field, `must contain only UUIDs (item ${index} is not one)`);
    return id.toLowerCase();
  });
}

function parseSegment(value: unknown): Segment {
  if (!isObject(value)) throw fieldError('audience.segment', `must be an object with any of ${SEGMENT_CRITERIA.join(', ')}`);
  for (const key of Object.keys(value)) {
    if (!(SEGMENT_CRITERIA as readonly string[]).includes(key)) throw fieldError(`audience.segment.${key}`, 'is not allowed');
  }
  const segment: Segment = {};
  for (const criterion of SEGMENT_CRITERIA) {
    // Null is as good as absent, as for any optional field of the API.
    if (value[criterion] === undefined || value[criterion] === null) continue;
    segment[criterion] = parseCriterion(criterion, value[criterion]);
  }
  if (Object.keys(segment).length === 0) {
    throw fieldError('audience.segment', `must have at least one of ${SEGMENT_CRITERIA.join(', ')}`, UNPROCESSABLE);
  }
  return segment;
}

function parseCriterion(criterion: SegmentCriterion, value: unknown): string[] {
  const field = `audience.segment.${criterion}`;
  const what = criterion === 'roles' ? 'role' : criterion.replace(/Ids$/, '').replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
  if (!Array.isArray(value)) throw fieldError(field, `must be an array of ${criterion === 'roles' ? 'roles' : 'ids'}`);
  if (value.length === 0) throw fieldError(field, `must name at least one ${what}`, UNPROCESSABLE);
  if (value.length > MAX_SEGMENT_CRITERION_SIZE) throw fieldError(field, `must name at most ${MAX_SEGMENT_CRITERION_SIZE} ${what}s`, UNPROCESSABLE);
  const items = value.map((item: unknown) => {
    if (criterion === 'roles') {
      if (typeof item !== 'string' || !(ROLES as readonly string[]).includes(item)) throw fieldError(field, `must contain only ${ROLES.join(', ')}`);
      return item as Role;
    }
    if (typeof item !== 'string' || !UUID.test(item)) throw fieldError(field, 'must contain only UUIDs');
    return item.toLowerCase();
  });
  return [...new Set(items)];
}

/** What an audience CSV names: the values of its `userId` column if it has one, else of its `email` column. */
export interface AudienceCsv {
  /** The header row as written. */
  header: string[];
  /** Null when the header has neither column. */
  column: 'userId' | 'email' | null;
  /** The column's non-empty values (trimmed), in file order, repeats kept; a row without one names nobody. */
  values: string[];
}

/**
 * Reads an audience CSV (see csv.ts for the format): the first record is the header, whose `userId` or
 * `email` column (case-insensitive, surrounding spaces ignored) names the recipients; other columns are
 * ignored. Throws CsvError for a malformed file.
 */
export function readAudienceCsv(text: string): AudienceCsv {
  const [header = [], ...rows] = parseCsv(text);
  const names = header.map((name) => name.trim().toLowerCase());
  const column = names.includes('userid') ? 'userId' : names.includes('email') ? 'email' : null;
  if (!column) return { header, column, values: [] };
  const index = names.indexOf(column.toLowerCase());
  const values: string[] = [];
  for (const row of rows) {
    const value = row[index]?.trim();
    if (value) values.push(value);
  }
  return { header, column, values };
}
