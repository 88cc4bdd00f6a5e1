import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundException } from '@nestjs/common';
import type { Channel, ProviderChannel } from '../channels/channel.js';
import type { CampaignFallback, CampaignStatus } from './campaign.entity.js';

export interface ChannelProgress {
  pending: number;
  sent: number;
  failed: number;
  skipped: number;
  deferred: number;
  /** Of those sent, the ones sent a second time because a worker died not knowing whether the first went out (they may have it twice). */
  resent: number;
}

/** A campaign in the list: its channels by name. */
export interface CampaignSummary {
  id: string;
  name: string;
  status: CampaignStatus;
  title: string;
  body: string;
  channels: Channel[];
  /** `{ email: 'sms' }`: an SMS to whoever's email hard-bounces or is dropped; null without. */
  fallback: CampaignFallback | null;
  deliverAt: Date;
  dismissAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
  workflowId: string;
  /** Recipients included once the audience is snapshotted at `deliverAt` (null before), and those skipped. */
  recipients: number | null;
  skipped: number | null;
}

/**
 * One campaign: each of its channels with its progress (push counts each of a recipient's devices), and
 * the fallback sends apart.
 *
 * `channels` counts only the campaign's own sends (ledger kind `campaign`), so each channel's numbers add
 * up to the included recipients. A fallback SMS (kind `campaign_fallback`) goes only to those whose email
 * failed for good, so it is counted in `fallbackSends.sms`, where `pending` is the fallbacks not yet sent
 * (not the recipients without one). The email that failed stays `failed` under `channels.email`: that is
 * what happened to the email; the recipients list shows the same recipient's sms row beside it.
 */
export interface CampaignView extends Omit<CampaignSummary, 'channels'> {
  channels: Partial<Record<Channel, ChannelProgress>>;
  fallbackSends: Partial<Record<ProviderChannel, ChannelProgress>>;
}

export interface CampaignRow {
  id: string;
  name: string;
  status: CampaignStatus;
  title: string;
  body: string;
  channels: Channel[];
  fallback: CampaignFallback | null;
  deliver_at: Date;
  dismiss_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
  workflow_id: string;
  recipients: number | null;
  skipped: number | null;
}

export const CAMPAIGN_COLUMNS =
  'c.id, c.name, c.status, c.title, c.body, c.channels, c.fallback, c.deliver_at, c.dismiss_at, c.created_at, c.started_at, c.completed_at, c.cancelled_at, c.workflow_id, c.recipients, c.skipped';

const date = (value: Date | null) => (value === null ? null : new Date(value));

/** The campaign as the list shows it, without per-channel progress. */
export function toCampaignSummary(row: CampaignRow): CampaignSummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    title: row.title,
    body: row.body,
    channels: row.channels,
    fallback: row.fallback ?? null,
    deliverAt: new Date(row.deliver_at),
    dismissAt: date(row.dismiss_at),
    createdAt: new Date(row.created_at),
    startedAt: date(row.started_at),
    completedAt: date(row.completed_at),
    cancelledAt: date(row.cancelled_at),
    workflowId: row.workflow_id,
    recipients: row.recipients,
    skipped: row.skipped,
  };
}

/** One campaign of the organisation with its progress per channel; another organisation's is not found. */
export async function campaignView(em: EntityManager, organizationId: string, id: string): Promise<CampaignView> {
  const [row] = await em.execute<CampaignRow[]>(`select ${CAMPAIGN_COLUMNS} from campaign c where c.id = ? and c.organization_id = ?`, [id, organizationId]);
  if (!row) throw new NotFoundException('campaign not found');
  const [counts, [messageCenter]] = await Promise.all([
    em.execute<Array<{ kind: string; channel: Channel; sent: string; failed: string; skipped: string; deferred: string; waiting: string; resent: string }>>(
      `select kind, channel, count(*) filter (where status = 'sent') as sent, count(*) filter (where status = 'failed') as failed,
              count(*) filter (where attempts > 1 and exists (
                select 1 from delivery_attempt a where a.delivery_id = delivery.id and a.outcome = 'resent_after_crash')) as resent,
              count(*) filter (where status = 'skipped') as skipped,
              count(*) filter (where status in ('pending', 'sending') and not_before > now()) as deferred,
              count(*) filter (where status in ('pending', 'sending') and (not_before is null or not_before <= now())) as waiting
         from delivery where subject_type = 'campaign' and subject_id = ? and kind in ('campaign', 'campaign_fallback') group by kind, channel`,
      [id],
    ),
    em.execute<Array<{ sent: string }>>(`select count(*) as sent from message where campaign_id = ?`, [id]),
  ]);
  const included = row.recipients ?? 0;
  const progress: Partial<Record<Channel, ChannelProgress>> = {};
  for (const channel of row.channels) {
    const found =
      channel === 'message_center'
        ? { sent: messageCenter.sent, failed: '0', skipped: '0', deferred: '0', resent: '0' }
        : counts.find((c) => c.kind === 'campaign' && c.channel === channel);
    const sent = Number(found?.sent ?? 0);
    const failed = Number(found?.failed ?? 0);
    const skipped = Number(found?.skipped ?? 0);
    const deferred = Number(found?.deferred ?? 0);
    // Not yet sent, counting recipients whose batch has not come yet; nothing is pending once it is cancelled.
    const pending = row.status === 'cancelled' ? 0 : Math.max(0, included - sent - failed - skipped - deferred);
    progress[channel] = { pending, sent, failed, skipped, deferred, resent: Number(found?.resent ?? 0) };
  }
  const fallbackSends: Partial<Record<ProviderChannel, ChannelProgress>> = {};
  for (const found of counts.filter((c) => c.kind === 'campaign_fallback')) {
    fallbackSends[found.channel as ProviderChannel] = {
      pending: Number(found.waiting),
      sent: Number(found.sent),
      failed: Number(found.failed),
      skipped: Number(found.skipped),
      deferred: Number(found.deferred),
      resent: Number(found.resent),
    };
  }
  return { ...toCampaignSummary(row), channels: progress, fallbackSends };
}
