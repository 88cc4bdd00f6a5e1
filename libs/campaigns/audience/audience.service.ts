import { EntityManager } from '@mikro-orm/postgresql';
import { HttpStatus, Injectable } from '@nestjs/common';
import { AttachmentStorage } from '../../attachments/attachment-storage.js';
import { fieldError } from '../../http/api-error.filter.js';
import type { CampaignAudience } from '../campaign.entity.js';
import { MAX_AUDIENCE_SIZE, readAudienceCsv, type AudienceCsv, type Segment } from './audience.js';
import { CsvError } from './csv.js';

export interface AudienceSnapshot {
  /** Rows written: campaign_recipient.seq runs from 1 to this. */
  audienceSize: number;
  included: number;
  skipped: number;
}

/** Where each segment criterion's ids live, for check() and snapshot(). */
const SEGMENT_TABLES = {
  programIds: { table: 'program', noun: 'program', membership: 'select 1 from enrollment m where m.member_id = u.id and m.program_id in (:programIds)' },
  clientAccountIds: {
    table: 'client_account',
    noun: 'client account',
    membership: 'select 1 from client_account_access m where m.user_id = u.id and m.client_account_id in (:clientAccountIds)',
  },
  teamIds: { table: 'team', noun: 'team', membership: 'select 1 from team_member m where m.user_id = u.id and m.team_id in (:teamIds)' },
} as const;

const UUID_PATTERN = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

/**
 * How a list of given values (ids or emails, in order) becomes recipients: each value is looked up, the
 * first occurrence of each user (or of each value that names nobody) is kept, and those are numbered
 * in order. Users of another organisation are matched only by id, so that a CSV of emails cannot tell
 * which addresses have accounts elsewhere.
 */
const LIST_LOOKUPS = {
  id: {
    join: `left join app_user u on u.id = case when g.given ~* ${UUID_PATTERN} then g.given::uuid end`,
    unknown: `case when g.given ~* ${UUID_PATTERN} then 'unknown user' else 'not a user id' end`,
  },
  email: {
    join: 'left join app_user u on u.email = lower(g.given) and u.organization_id = :org',
    unknown: `'no user with this email'`,
  },
} as const;

/**
 * Validates a campaign's audience against the organisation's data when the campaign is created, and
 * snapshots it into campaign_recipient when it starts.
 */
@Injectable()
export class AudienceService {
  constructor(
    private readonly em: EntityManager,
    private readonly storage: AttachmentStorage,
  ) {}

  /**
   * Refuses (422, naming the field) a segment naming programs, client accounts or teams that are not the
   * organisation's, and a CSV attachment that is not the organisation's, is not a CSV, is malformed, has
   * neither an `email` nor a `userId` column, or names nobody or too many. User ids that name nobody are
   * not refused: the snapshot skips them.
   */
  async check(organizationId: string, audience: CampaignAudience): Promise<void> {
    if ('segment' in audience) await this.checkSegment(organizationId, audience.segment);
    else if ('csvAttachmentId' in audience) await this.readCsv(organizationId, audience.csvAttachmentId);
  }

  /**
   * Writes the campaign's audience into campaign_recipient, in order with seq 1..N, and its counts into
   * campaign.recipients and campaign.skipped, in one INSERT … SELECT (its campaign row locked meanwhile, so
   * that nothing else snapshots it at the same time). A user named twice gets one row, where first named. What names nobody in the organisation is a
   * `skipped` row carrying what was given and why: `unknown user` (`not a user id` for a CSV value that
   * is no UUID), `not in this organization`, `no user with this email`. A deactivated user of the
   * organisation is a `skipped` row with the reason `deactivated` that keeps the user's id (and what was
   * given, for a list), so the report can name them; they get no message. A segment is its users ordered by
   * when they joined, deactivated ones among them as such skipped rows. `campaign.recipients` counts the
   * included rows and `campaign.skipped` the skipped ones, whatever the reason.
   *
   * Idempotent, since it runs in a retried activity: once the campaign has been snapshotted it writes
   * nothing and answers what is there.
   */
  async snapshot(em: EntityManager, campaignId: string): Promise<AudienceSnapshot> {
    return em.transactional(async (tx) => {
      // Locked first, so that a second attempt running meanwhile waits here and then, in a statement of its
      // own (a fresh snapshot), sees the rows the first one wrote.
      const [campaign] = await tx.execute<
        Array<{ organization_id: string; by_ids: boolean; segment: Segment | null; csv_attachment_id: string | null; snapshotted: boolean }>
      >(
        `select organization_id, jsonb_typeof(audience->'userIds') = 'array' as by_ids, audience->'segment' as segment,
                audience->>'csvAttachmentId' as csv_attachment_id, recipients is not null as snapshotted
           from campaign where id = ? for update`,
        [campaignId],
      );
      if (!campaign) throw new Error(`campaign ${campaignId} not found`);
      const [existing] = await tx.execute<Array<{ included: number; skipped: number }>>(
        `select count(*) filter (where status = 'included')::int as included, count(*) filter (where status = 'skipped')::int as skipped
           from campaign_recipient where campaign_id = ?`,
        [campaignId],
      );
      if (campaign.snapshotted || existing.included + existing.skipped > 0) {
        return { audienceSize: existing.included + existing.skipped, ...existing };
      }

      const org = campaign.organization_id;
      let written: { recipients: number; skipped: number };
      if (campaign.by_ids) {
        written = await this.insertList(tx, campaignId, org, 'id', `(select audience->'userIds' from campaign where id = :campaign)`);
      } else if (campaign.segment) {
        written = await this.insertSegment(tx, campaignId, org, campaign.segment);
      } else if (campaign.csv_attachment_id) {
        const csv = await this.readCsv(org, campaign.csv_attachment_id);
        const seen = new Set<string>();
        const firsts = csv.values.filter((value) => !seen.has(value.toLowerCase()) && seen.add(value.toLowerCase()));
        const values = JSON.stringify(firsts);
        written = await this.insertList(tx, campaignId, org, csv.column === 'userId' ? 'id' : 'email', ':values::jsonb', { values });
      } else {
        throw new Error(`campaign ${campaignId} has no audience it understands`);
      }
      return { audienceSize: written.recipients + written.skipped, included: written.recipients, skipped: written.skipped };
    });
  }

  private async checkSegment(organizationId: string, segment: Segment): Promise<void> {
    for (const criterion of ['programIds', 'clientAccountIds', 'teamIds'] as const) {
      const ids = segment[criterion];
      if (!ids?.length) continue;
      const { table, noun } = SEGMENT_TABLES[criterion];
      const found = await this.em.execute<Array<{ id: string }>>(`select id from ${table} where organization_id = ? and id in (?)`, [organizationId, ids]);
      const known = new Set(found.map((row) => row.id));
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        const shown = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
        throw fieldError(`audience.segment.${criterion}`, `must name ${noun}s of this organization (not ${shown})`, HttpStatus.UNPROCESSABLE_ENTITY);
      }
    }
  }

  /** The organisation's CSV attachment, read and checked; a refusal names `audience.csvAttachmentId`. */
  private async readCsv(organizationId: string, attachmentId: string): Promise<AudienceCsv & { column: 'userId' | 'email' }> {
    const refuse = (message: string) => fieldError('audience.csvAttachmentId', message, HttpStatus.UNPROCESSABLE_ENTITY);
    const [attachment] = await this.em.execute<Array<{ stored_at: string; content_type: string }>>(
      'select stored_at, content_type from attachment where id = ? and organization_id = ?',
      [attachmentId, organizationId],
    );
    if (!attachment) throw refuse('names no file uploaded in this organization');
    if (!attachment.content_type.startsWith('text/csv')) throw refuse('must be a CSV file (.csv)');

    const { stream } = await this.storage.open(attachment.stored_at);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    let csv: AudienceCsv;
    try {
      // Uploads of .csv are checked to be UTF-8; the decoder drops a byte-order mark.
      csv = readAudienceCsv(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
    } catch (error) {
      if (error instanceof CsvError) throw refuse(`is not a well-formed CSV file: ${error.message}`);
      if (error instanceof TypeError) throw refuse('is not UTF-8 text');
      throw error;
    }
    if (!csv.column) {
      const found = csv.header.length ? `its header row has ${csv.header.map((name) => JSON.stringify(name)).join(', ')}` : 'it is empty';
      throw refuse(`must have an "email" or a "userId" column in its header row (${found})`);
    }
    if (csv.values.length === 0) throw refuse(`names nobody: its ${csv.column} column is empty`);
    if (csv.values.length > MAX_AUDIENCE_SIZE) throw refuse(`must name at most ${MAX_AUDIENCE_SIZE.toLocaleString('en')} recipients`);
    return csv as AudienceCsv & { column: 'userId' | 'email' };
  }

  /**
   * One statement: the given values (`source`, a jsonb array of text) looked up, deduplicated, numbered and
   * inserted, and the campaign's counts updated from what was inserted.
   */
  private async insertList(
    em: EntityManager,
    campaignId: string,
    organizationId: string,
    kind: keyof typeof LIST_LOOKUPS,
    source: string,
    params: Record<string, unknown> = {},
  ): Promise<{ recipients: number; skipped: number }> {
    const lookup = LIST_LOOKUPS[kind];
    // `given` keeps each value's first occurrence, by a hash aggregate rather than a sort: one value per user,
    // since an id or an email names one user whatever its case. Its min(given) is that first occurrence, as
    // ids are stored lower-cased and CSV values arrive deduplicated.
    const [row] = await em.execute<Array<{ recipients: number; skipped: number }>>(
      `with given as (
         select min(g.ord) as ord, min(g.given) as given
           from jsonb_array_elements_text(${source}) with ordinality as g(given, ord)
          group by lower(g.given)
       ), resolved as (
         select g.ord, g.given, u.id as user_id,
                case when u.id is null then ${lookup.unknown}
                     when u.organization_id <> :org then 'not in this organization'
                     when u.status = 'deactivated' then 'deactivated' end as skip_reason
           from given g ${lookup.join}
       ), inserted as (
         insert into campaign_recipient (campaign_id, seq, user_id, given, status, skip_reason)
         select :campaign::uuid, row_number() over (order by ord),
                case when skip_reason is null or skip_reason = 'deactivated' then user_id end, case when skip_reason is not null then given end,
                case when skip_reason is null then 'included' else 'skipped' end, skip_reason
           from resolved
         returning status
       )
       update campaign set recipients = (select count(*) from inserted where status = 'included'),
                           skipped = (select count(*) from inserted where status = 'skipped')
        where id = :campaign
       returning recipients, skipped`,
      { ...params, campaign: campaignId, org: organizationId },
    );
    return row;
  }

  /**
   * One statement: the organisation's users matching every criterion, by when they joined, inserted and
   * counted; deactivated ones as skipped rows.
   */
  private async insertSegment(
    em: EntityManager,
    campaignId: string,
    organizationId: string,
    segment: Segment,
  ): Promise<{ recipients: number; skipped: number }> {
    const conditions: string[] = [];
    if (segment.roles) conditions.push(segment.roles.length ? 'u.role in (:roles)' : 'false');
    for (const criterion of ['programIds', 'clientAccountIds', 'teamIds'] as const) {
      const ids = segment[criterion];
      if (ids) conditions.push(ids.length ? `exists (${SEGMENT_TABLES[criterion].membership})` : 'false');
    }
    // parseAudience refuses a segment without criteria; should one be stored anyway, it matches nobody rather than everyone.
    if (conditions.length === 0) conditions.push('false');
    const [row] = await em.execute<Array<{ recipients: number; skipped: number }>>(
      `with inserted as (
         insert into campaign_recipient (campaign_id, seq, user_id, status, skip_reason)
         select :campaign::uuid, row_number() over (order by u.created_at, u.id), u.id,
                case when u.status = 'active' then 'included' else 'skipped' end, case when u.status = 'active' then null else 'deactivated' end
           from app_user u
          where u.organization_id = :org and ${conditions.join(' and ')}
         returning status
       )
       update campaign set recipients = (select count(*) from inserted where status = 'included'),
                           skipped = (select count(*) from inserted where status = 'skipped')
        where id = :campaign
       returning recipients, skipped`,
      { ...segment, campaign: campaignId, org: organizationId },
    );
    return row;
  }
}
