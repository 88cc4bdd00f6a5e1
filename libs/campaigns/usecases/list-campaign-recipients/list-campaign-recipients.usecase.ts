import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';
import { fieldError } from '../../../http/api-error.filter.js';
import type { ListCampaignRecipientsQuery } from '../../campaign.dto.js';

/** One recipient on one channel (push: one per device). */
export interface CampaignRecipientRow {
  seq: number;
  userId: string | null;
  name: string | null;
  email: string | null;
  channel: string;
  status: 'pending' | 'sent' | 'failed' | 'skipped' | 'deferred';
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
  /** For a skipped recipient: what the audience named, and why it was skipped. */
  given: string | null;
  skipReason: string | null;
  /** A fallback send (`campaign_fallback`: the SMS after their email failed for good), not one of the campaign's channels. */
  fallback: boolean;
}

interface Position {
  seq: number;
  channel: string;
  target: string;
}

/*
 * One row per recipient and channel of the campaign (kind `campaign`), and one per fallback send a
 * recipient actually got (kind `campaign_fallback`), shown as that recipient's row of the fallback's
 * channel (e.g. `sms`, with `fallback` true) beside the email row that failed. A recipient whose email
 * went out has no such row: the fallback channel is not one of the campaign's, so there is nothing
 * pending on it. A fallback channel the campaign also sends on is never a fallback (campaign-fallback.ts
 * does not plan one), which keeps (seq, channel, target) unique for the cursor.
 */
const PAGE_SQL = `
  with c as (select id, channels, fallback from campaign where id = ? and organization_id = ?),
  rows as (
    select r.seq, r.user_id, u.name, u.email, ch.channel, ch.kind = 'campaign_fallback' as fallback, coalesce(d.target, '') as target, r.given, r.skip_reason,
           case when r.status = 'skipped' then 'skipped'
                when ch.channel = 'message_center' then case when m.id is null then 'pending' else 'sent' end
                when d.status in ('pending', 'sending') and d.not_before > now() then 'deferred'
                when d.status is null or d.status = 'sending' then 'pending'
                else d.status end as status,
           coalesce(d.attempts, 0) as attempts, coalesce(d.last_error, r.skip_reason) as last_error, coalesce(d.sent_at, m.delivered_at) as sent_at
      from c
      join campaign_recipient r on r.campaign_id = c.id
      left join app_user u on u.id = r.user_id
      cross join lateral (
        select channel, 'campaign'::text as kind from unnest(c.channels) as channel
        union all
        select distinct f.value, 'campaign_fallback'::text from jsonb_each_text(coalesce(c.fallback, '{}'::jsonb)) as f
         where r.status = 'included' and not f.value = any(c.channels)
      ) as ch
      left join message m on ch.channel = 'message_center' and m.campaign_id = c.id and m.recipient_id = r.user_id
      left join delivery d on ch.channel <> 'message_center' and d.subject_type = 'campaign' and d.subject_id = c.id and d.recipient_id = r.user_id
                          and d.channel = ch.channel and d.kind = ch.kind
     where ch.kind = 'campaign' or d.id is not null
  )
  select * from rows where (seq, channel, target) > (?, ?, ?) and (?::text is null or channel = ?) and (?::text is null or status = ?)
  order by seq, channel, target limit ?`;

/** The campaign's recipients, channel by channel, with each send's status, attempts and last error; as pages or as CSV. */
@Injectable()
export class ListCampaignRecipients {
  constructor(private readonly em: EntityManager) {}

  async page(caller: AuthUser, id: string, query: ListCampaignRecipientsQuery): Promise<{ items: CampaignRecipientRow[]; nextCursor: string | null }> {
    await this.assertCampaign(caller, id);
    const after = decodePosition(query.cursor);
    const rows = await this.rows(caller, id, query, after, query.limit + 1);
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items: items.map(toRow), nextCursor: rows.length > query.limit && last ? encodePosition(last) : null };
  }

  /** Every row, a thousand at a time, as CSV lines (the header first): memory stays flat at any size. */
  async *csv(caller: AuthUser, id: string, query: Omit<ListCampaignRecipientsQuery, 'cursor' | 'limit'>): AsyncGenerator<string> {
    await this.assertCampaign(caller, id);
    yield 'userId,name,email,channel,status,attempts,lastError,sentAt,given,skipReason,fallback\r\n';
    let after: Position = { seq: 0, channel: '', target: '' };
    for (;;) {
      const rows = await this.rows(caller, id, query, after, 1000);
      if (rows.length === 0) return;
      yield rows
        .map(toRow)
        .map((row) =>
          [
            row.userId,
            row.name,
            row.email,
            row.channel,
            row.status,
            row.attempts,
            row.lastError,
            row.sentAt?.toISOString() ?? null,
            row.given,
            row.skipReason,
            String(row.fallback),
          ]
            .map(csvField)
            .join(','),
        )
        .join('\r\n')
        .concat('\r\n');
      after = rows[rows.length - 1];
    }
  }

  private async assertCampaign(caller: AuthUser, id: string): Promise<void> {
    const [row] = await this.em.execute(`select 1 from campaign where id = ? and organization_id = ?`, [id, caller.organizationId]);
    if (!row) throw new NotFoundException('campaign not found');
  }

  private rows(caller: AuthUser, id: string, query: Pick<ListCampaignRecipientsQuery, 'status' | 'channel'>, after: Position, limit: number) {
    const channel = query.channel ?? null;
    const status = query.status ?? null;
    return this.em.execute<Array<Position & Record<string, unknown>>>(PAGE_SQL, [
      id,
      caller.organizationId,
      after.seq,
      after.channel,
      after.target,
      channel,
      channel,
      status,
      status,
      limit,
    ]);
  }
}

function toRow(row: Record<string, unknown>): CampaignRecipientRow {
  return {
    seq: Number(row.seq),
    userId: (row.user_id as string | null) ?? null,
    name: (row.name as string | null) ?? null,
    email: (row.email as string | null) ?? null,
    channel: row.channel as string,
    status: row.status as CampaignRecipientRow['status'],
    attempts: Number(row.attempts),
    lastError: (row.last_error as string | null) ?? null,
    sentAt: row.sent_at ? new Date(row.sent_at as string) : null,
    given: (row.given as string | null) ?? null,
    skipReason: (row.skip_reason as string | null) ?? null,
    fallback: row.fallback === true,
  };
}

/** RFC 4180, and a leading =, +, - or @ quoted with an apostrophe so a spreadsheet never runs it as a formula. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function encodePosition(row: { seq: number; channel: string; target?: string }): string {
  return Buffer.from(JSON.stringify([row.seq, row.channel, row.target ?? ''])).toString('base64url');
}

function decodePosition(cursor: string | undefined): Position {
  if (!cursor) return { seq: 0, channel: '', target: '' };
  try {
    const [seq, channel, target] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Number.isInteger(seq) || typeof channel !== 'string' || typeof target !== 'string') throw new Error('bad cursor');
    return { seq, channel, target };
  } catch {
    throw fieldError('cursor', 'is not a cursor this API returned');
  }
}
