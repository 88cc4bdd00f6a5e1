import { HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MAX_AUDIENCE_SIZE, parseAudience, readAudienceCsv } from './audience.js';
import { CsvError, parseCsv } from './csv.js';

/** The status, field and message parseAudience refuses `input` with. */
function refusal(input: unknown): { status: number; field: string; message: string } {
  try {
    parseAudience(input);
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    const { details } = error.getResponse() as { details: Array<{ field: string; message: string }> };
    return { status: error.getStatus(), field: details[0].field, message: details[0].message };
  }
  throw new Error('expected parseAudience to refuse the input');
}

describe('parseAudience', () => {
  const [a, b] = [randomUUID(), randomUUID()];

  it('takes user ids, keeping their order and repeats, lower-cased', () => {
    expect(parseAudience({ userIds: [b, a.toUpperCase(), b] })).toEqual({ userIds: [b, a, b] });
  });

  it('takes a segment, dropping repeats, absent and null criteria', () => {
    expect(parseAudience({ segment: { roles: ['member', 'staff', 'member'], programIds: [a, a.toUpperCase()], teamIds: null } })).toEqual({
      segment: { roles: ['member', 'staff'], programIds: [a] },
    });
    expect(parseAudience({ segment: { clientAccountIds: [b] } })).toEqual({ segment: { clientAccountIds: [b] } });
  });

  it('takes a CSV attachment id', () => {
    expect(parseAudience({ csvAttachmentId: a.toUpperCase() })).toEqual({ csvAttachmentId: a });
  });

  it.each([
    ['no object', undefined, 'audience'],
    ['an array', [a], 'audience'],
    ['no kind', {}, 'audience'],
    ['two kinds', { userIds: [a], csvAttachmentId: b }, 'audience'],
    ['an unknown kind', { emails: ['x@example.test'] }, 'audience.emails'],
    ['user ids that are no array', { userIds: a }, 'audience.userIds'],
    ['a user id that is no UUID', { userIds: [a, 'nobody'] }, 'audience.userIds'],
    ['a user id that is no string', { userIds: [a, 7] }, 'audience.userIds'],
    ['a segment that is no object', { segment: ['member'] }, 'audience.segment'],
    ['an unknown criterion', { segment: { roles: ['member'], groups: [a] } }, 'audience.segment.groups'],
    ['an unknown role', { segment: { roles: ['member', 'owner'] } }, 'audience.segment.roles'],
    ['roles that are no array', { segment: { roles: 'member' } }, 'audience.segment.roles'],
    ['a program id that is no UUID', { segment: { programIds: ['diabetes'] } }, 'audience.segment.programIds'],
    ['a team id that is no UUID', { segment: { teamIds: [a, ''] } }, 'audience.segment.teamIds'],
    ['a client account id that is no UUID', { segment: { clientAccountIds: [1] } }, 'audience.segment.clientAccountIds'],
    ['a CSV attachment id that is no UUID', { csvAttachmentId: 'people.csv' }, 'audience.csvAttachmentId'],
    ['a CSV attachment id that is no string', { csvAttachmentId: null }, 'audience.csvAttachmentId'],
  ])('answers 400 to %s, naming the field', (_case, input, field) => {
    expect(refusal(input)).toEqual({ status: 400, field, message: expect.any(String) });
  });

  it.each([
    ['no user ids', { userIds: [] }, 'audience.userIds', 'must name at least one user'],
    ['an empty segment', { segment: {} }, 'audience.segment', 'must have at least one of roles, programIds, clientAccountIds, teamIds'],
    ['a segment of null criteria', { segment: { roles: null } }, 'audience.segment', expect.stringContaining('at least one of')],
    [
      'an empty criterion',
      { segment: { roles: ['member'], clientAccountIds: [] } },
      'audience.segment.clientAccountIds',
      'must name at least one client account',
    ],
    ['too many user ids', { userIds: Array.from({ length: MAX_AUDIENCE_SIZE + 1 }, () => a) }, 'audience.userIds', 'must name at most 100,000 users'],
  ])('answers 422 to %s, naming the field', (_case, input, field, message) => {
    expect(refusal(input)).toEqual({ status: 422, field, message });
  });

  it('takes exactly 100,000 user ids', () => {
    const ids = Array.from({ length: MAX_AUDIENCE_SIZE }, () => randomUUID());
    const parsed = parseAudience({ userIds: ids }) as { userIds: string[] };
    expect(parsed.userIds.join()).toBe(ids.join());
  });
});

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsv('name,note\r\n"Doe, Jane","said ""hi""\r\nthen left"\r\nBob,\r\n')).toEqual([
      ['name', 'note'],
      ['Doe, Jane', 'said "hi"\r\nthen left'],
      ['Bob', ''],
    ]);
  });

  it('drops a byte-order mark and blank lines, and takes LF, CRLF and CR alike', () => {
    expect(parseCsv('\ufeffemail\n\na@x.test\r\n\r\nb@x.test\rc@x.test')).toEqual([['email'], ['a@x.test'], ['b@x.test'], ['c@x.test']]);
  });

  it('keeps empty quoted fields and a quote inside an unquoted field', () => {
    expect(parseCsv('""\na,"",b"c\n,')).toEqual([[''], ['a', '', 'b"c'], ['', '']]);
  });

  it('allows spaces after a closing quote', () => {
    expect(parseCsv('"a" ,"b"  \n')).toEqual([['a', 'b']]);
  });

  it('refuses an unterminated quoted field and text after a closing quote, with the line', () => {
    expect(() => parseCsv('email\n"a@x.test\nb@x.test')).toThrow(new CsvError('line 2: a quoted field is never closed'));
    expect(() => parseCsv('email\n"multi\nline"x,y')).toThrow(new CsvError('line 3: a closing quote must be followed by a comma or the end of the line'));
  });

  it('reads an empty file as no records', () => {
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\ufeff\r\n')).toEqual([]);
  });
});

describe('readAudienceCsv', () => {
  it('takes the email column, whatever its case, trimmed, skipping rows without one', () => {
    expect(readAudienceCsv('Name, EMail ,x\nJane, jane@x.test ,1\nNo Mail\nBob,,2\n"Al","al@x.test"')).toEqual({
      header: ['Name', ' EMail ', 'x'],
      column: 'email',
      values: ['jane@x.test', 'al@x.test'],
    });
  });

  it('prefers the userId column over the email column', () => {
    const id = randomUUID();
    expect(readAudienceCsv(`email,USERID\nx@x.test,${id}`)).toMatchObject({ column: 'userId', values: [id] });
  });

  it('finds no column in a header without one', () => {
    expect(readAudienceCsv('name,mail\nJane,jane@x.test')).toEqual({ header: ['name', 'mail'], column: null, values: [] });
  });
});
