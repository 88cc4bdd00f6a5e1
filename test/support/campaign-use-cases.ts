import { Global, Module } from '@nestjs/common';
import type { UpdateDefinition } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { CampaignsModule } from '../../libs/campaigns/campaigns.module.js';
import type { CampaignAudience, CampaignFallback, CampaignStatus } from '../../libs/campaigns/campaign.entity.js';
import type { Channel, ProviderChannel } from '../../libs/channels/channel.js';
import type { DeliveryStatus } from '../../libs/delivery/delivery.entity.js';
import { WorkflowGateway, type UpdateOutcome } from '../../libs/temporal/workflow-gateway.js';
import type { SeededUser } from './conversation-use-cases.js';
import type { TestDatabase } from './test-database.js';

/** Seeds and modules for the specs of libs/campaigns: rows written with SQL, as a test sets them up. */

const noTemporal = () => Promise.reject(new Error('these specs run without Temporal: nothing here may call it directly'));

/** One call of `updateOnceStarted`, as the stand-in received it. */
export interface UpdateCall {
  workflowId: string;
  /** The update's name (`pause`, `resume`, `cancel`). */
  update: string;
  arg: unknown;
  /** The use case's answer to "is its subject still to run?" (the gateway asks it while the workflow is not found). */
  stillToRun: () => Promise<boolean>;
}

export type UpdateAnswer = UpdateOutcome<unknown> | { outcome: 'not_started' };

/**
 * The app's global WorkflowGateway, replaced: starts and signals go through the outbox and must not reach
 * it; updates (pause, resume, cancel) get whatever the test scripted, and are recorded. Unscripted, an
 * update fails as Temporal would be absent.
 */
export class ScriptedWorkflowGateway {
  readonly updates: UpdateCall[] = [];
  private script: (call: UpdateCall) => Promise<UpdateAnswer> = noTemporal;

  readonly start = noTemporal;
  readonly signal = noTemporal;
  readonly signalWithStart = noTemporal;
  readonly update = noTemporal;

  /** From now on every update answers with `script` (which may also write what the workflow would, or throw). */
  answerUpdates(script: (call: UpdateCall) => Promise<UpdateAnswer> | UpdateAnswer): void {
    this.script = async (call) => script(call);
  }

  reset(): void {
    this.updates.length = 0;
    this.script = noTemporal;
  }

  updateOnceStarted<Ret, Arg>(workflowId: string, update: UpdateDefinition<Ret, [Arg]>, arg: Arg, stillToRun: () => Promise<boolean>): Promise<UpdateAnswer> {
    const call: UpdateCall = { workflowId, update: update.name, arg, stillToRun };
    this.updates.push(call);
    return this.script(call);
  }
}

@Global()
@Module({ providers: [{ provide: WorkflowGateway, useClass: ScriptedWorkflowGateway }], exports: [WorkflowGateway] })
class ScriptedTemporal {}

/** CampaignsModule as the API builds it, with a scripted WorkflowGateway (get it with `.get(WorkflowGateway)`). */
@Module({ imports: [ScriptedTemporal, CampaignsModule] })
export class CampaignsWithoutTemporal {}

export interface CampaignSeed {
  name?: string;
  title?: string;
  body?: string;
  channels?: Channel[];
  status?: CampaignStatus;
  deliverAt?: Date;
  dismissAt?: Date | null;
  /** Give it to order campaigns; millisecond precision, as the API writes it. Default: now. */
  createdAt?: Date;
  audience?: CampaignAudience;
  fallback?: CampaignFallback | null;
}

/**
 * A campaign of `createdBy`'s organisation as the API and its workflow leave it: scheduled an hour ahead by
 * default; a campaign past `scheduled` has started at `deliverAt`, and a completed, cancelled or paused one
 * has that time too. Its audience counts are set by seedCampaignRecipients.
 */
export async function seedCampaign(db: TestDatabase, createdBy: SeededUser, seed: CampaignSeed = {}): Promise<string> {
  const id = randomUUID();
  const status = seed.status ?? 'scheduled';
  const createdAt = seed.createdAt ?? new Date();
  const deliverAt = seed.deliverAt ?? new Date(createdAt.getTime() + (status === 'scheduled' ? 60 * 60_000 : 0));
  const started = status === 'scheduled' ? null : deliverAt;
  await db.query(
    `insert into campaign (id, organization_id, name, title, body, channels, deliver_at, dismiss_at, audience, fallback, status, workflow_id, created_by_id,
                           created_at, started_at, completed_at, cancelled_at, paused_at)
     values (?, ?, ?, ?, ?, ?::text[], ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      createdBy.organizationId,
      seed.name ?? 'Open enrolment',
      seed.title ?? 'Hello {{recipient.firstName}}',
      seed.body ?? 'Open enrolment at {{organization.name}} ends Friday.',
      `{${(seed.channels ?? ['message_center']).join(',')}}`,
      deliverAt,
      seed.dismissAt ?? null,
      JSON.stringify(seed.audience ?? { userIds: [createdBy.id] }),
      seed.fallback ? JSON.stringify(seed.fallback) : null,
      status,
      `campaign-${id}`,
      createdBy.id,
      createdAt,
      started,
      status === 'completed' ? started : null,
      status === 'cancelled' ? started : null,
      status === 'paused' ? started : null,
    ],
  );
  return id;
}

/** One position of the audience snapshot: a user included, or what was given and why it was skipped. */
export type AudienceEntry = SeededUser | { user?: SeededUser; given?: string; skipReason: string };

/**
 * Appends these positions to the campaign's audience snapshot (seq after the last one, from 1) and sets
 * the campaign's counts of included and skipped recipients, as the snapshot does. Returns their seqs.
 */
export async function seedCampaignRecipients(db: TestDatabase, campaignId: string, entries: AudienceEntry[]): Promise<number[]> {
  const [{ last }] = await db.query<{ last: number }>(`select coalesce(max(seq), 0)::int as last from campaign_recipient where campaign_id = ?`, [campaignId]);
  const seqs: number[] = [];
  for (const [index, entry] of entries.entries()) {
    const seq = last + index + 1;
    const skipped = 'skipReason' in entry;
    await db.query(`insert into campaign_recipient (campaign_id, seq, user_id, given, status, skip_reason) values (?, ?, ?, ?, ?, ?)`, [
      campaignId,
      seq,
      skipped ? (entry.user?.id ?? null) : entry.id,
      skipped ? (entry.given ?? null) : null,
      skipped ? 'skipped' : 'included',
      skipped ? entry.skipReason : null,
    ]);
    seqs.push(seq);
  }
  await db.query(
    `update campaign set recipients = (select count(*) from campaign_recipient where campaign_id = ? and status = 'included'),
                         skipped = (select count(*) from campaign_recipient where campaign_id = ? and status = 'skipped')
      where id = ?`,
    [campaignId, campaignId, campaignId],
  );
  return seqs;
}

export interface CampaignDeliverySeed {
  channel: ProviderChannel;
  /** Default `pending`. */
  status?: DeliveryStatus;
  /** `campaign` (default), or `campaign_fallback` for the SMS sent after an email failed for good. */
  kind?: 'campaign' | 'campaign_fallback';
  /** A push subscription's id for push; '' for email and SMS. */
  target?: string;
  attempts?: number;
  lastError?: string | null;
  /** Held by quiet hours until then. */
  notBefore?: Date | null;
  /** For `sending`: until when the attempt holding it may still be talking to the provider. */
  leaseUntil?: Date | null;
  /** Default: now for a sent one. */
  sentAt?: Date | null;
}

/** The campaign's ledger row for one send to `recipient`, as the batch plans it and the Deliverer settles it. */
export async function seedCampaignDelivery(db: TestDatabase, campaignId: string, recipient: SeededUser, delivery: CampaignDeliverySeed): Promise<string> {
  const id = randomUUID();
  const status = delivery.status ?? 'pending';
  await db.query(
    `insert into delivery (id, organization_id, subject_type, subject_id, recipient_id, channel, kind, about_user_id, target, status, attempts, lease_until,
                           last_error, not_before, due_at, sent_at)
     values (?, ?, 'campaign', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (select deliver_at from campaign where id = ?), ?)`,
    [
      id,
      recipient.organizationId,
      campaignId,
      recipient.id,
      delivery.channel,
      delivery.kind ?? 'campaign',
      recipient.id,
      delivery.target ?? '',
      status,
      delivery.attempts ?? (status === 'pending' ? 0 : 1),
      delivery.leaseUntil ?? null,
      delivery.lastError ?? null,
      delivery.notBefore ?? null,
      campaignId,
      delivery.sentAt !== undefined ? delivery.sentAt : status === 'sent' ? new Date() : null,
    ],
  );
  return id;
}

/** The recipient's message-center entry of the campaign, as a batch writes it (delivered at `deliveredAt`). */
export async function seedCampaignMessage(db: TestDatabase, campaignId: string, recipient: SeededUser, deliveredAt = new Date()): Promise<string> {
  const id = randomUUID();
  await db.query(
    `insert into message (id, organization_id, recipient_id, created_by_id, title, body, channels, status, deliver_at, delivered_at, workflow_id, campaign_id, created_at)
     select ?, c.organization_id, ?, c.created_by_id, c.title, c.body, c.channels, 'delivered', c.deliver_at, ?, c.workflow_id, c.id, ?
       from campaign c where c.id = ?`,
    [id, recipient.id, deliveredAt, deliveredAt, campaignId],
  );
  return id;
}

/** The audit entries about the campaign, oldest first. */
export function campaignAudit(db: TestDatabase, campaignId: string): Promise<Array<{ actor_id: string; action: string; details: Record<string, unknown> }>> {
  return db.query(`select actor_id, action, details from audit_event where subject_type = 'campaign' and subject_id = ? order by created_at, id`, [campaignId]);
}

/** What the outbox holds for the campaign's workflow, in order. */
export async function campaignOutbox(db: TestDatabase, campaignId: string): Promise<Array<Record<string, unknown>>> {
  const rows = await db.query<{ command: Record<string, unknown> }>(`select command from workflow_outbox where workflow_id = ? order by id`, [
    `campaign-${campaignId}`,
  ]);
  return rows.map((row) => row.command);
}
