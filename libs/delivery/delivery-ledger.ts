import { EntityManager } from '@mikro-orm/postgresql';
import { msToNumber } from '@temporalio/common/lib/time';
import { Injectable } from '@nestjs/common';
import type { DeliveryTarget } from '../../workflows/delivery-policy.js';
import { PROVIDER_ACTIVITY_OPTIONS } from '../../workflows/delivery-policy.js';
import type { ProviderChannel } from '../channels/channel.js';
import { TidingsMetrics } from '../metrics/tidings-metrics.js';
import { Delivery, type AttemptOutcome, type DeliverySubjectType } from './delivery.entity.js';
import { reachOf } from './reachability.js';

/** What the deliveries are for. */
export interface DeliverySubject {
  type: DeliverySubjectType;
  id: string;
  organizationId: string;
  /** When it should reach the recipients; delivery lag is measured from here. */
  dueAt: Date;
}

export interface DeliveryPlan {
  subject: DeliverySubject;
  kind: string;
  recipientIds: readonly string[];
  channels: readonly ProviderChannel[];
  /** For read receipts: the reader. Otherwise each recipient is the subject of their own notification. */
  aboutUserId?: string;
  /**
   * `record`: a channel the sender chose that the recipient cannot be reached on is written as skipped,
   * with the reason. `ignore`: the channels are whatever each recipient can receive; the rest are not sends.
   */
  unreachable: 'record' | 'ignore';
}

/** The result of claiming a delivery before its send. */
export type Claim<D extends ClaimedDelivery = Delivery> =
  | { kind: 'send'; delivery: D; attempt: number; resend: boolean }
  /** Settled already (by an earlier attempt whose answer was lost): nothing to send. */
  | { kind: 'settled'; delivery: D }
  /** Another attempt holds the lease and may still be talking to the provider: do not send. */
  | { kind: 'in_progress'; delivery: D };

/**
 * What a batch send needs of each delivery it claimed: plain data, not managed entities. A batch claims a
 * thousand rows at a time; as entities in the unit of work (each with its snapshot) they cost several KB
 * apiece and stayed alive for the whole provider request.
 */
export type ClaimedDelivery = Pick<Delivery, 'id' | 'recipientId' | 'channel' | 'status' | 'attempts' | 'dueAt'>;
export type BatchClaim = Claim<ClaimedDelivery>;

export type SettledOutcome =
  | { status: 'sent'; providerMessageId?: string }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string }
  | { status: 'retrying'; reason: string };

/**
 * An attempt's lease outlives anything the attempt can still do: Temporal gives up on it after
 * startToCloseTimeout, and the provider request has its own shorter deadline inside that.
 */
const LEASE_MS = msToNumber(PROVIDER_ACTIVITY_OPTIONS.startToCloseTimeout!);
const INSERT_CHUNK = 1000;

/**
 * The one delivery ledger: plans the rows, claims each attempt before its provider call, and writes each
 * outcome once, with its place in the delivery's timeline. Every method is safe to repeat.
 */
@Injectable()
export class DeliveryLedger {
  constructor(
    private readonly em: EntityManager,
    private readonly metrics: TidingsMetrics,
  ) {}

  /**
   * Writes the rows for these sends (one per push subscription) and returns those still to send. A
   * channel the recipient cannot be reached on is not returned (and recorded as skipped if the plan says so).
   * `em`: a caller's transaction to plan in (the rows then commit with it); by default the injected one.
   */
  async plan(plan: DeliveryPlan, em: EntityManager = this.em): Promise<DeliveryTarget[]> {
    const { subject } = plan;
    const reach = await reachOf(em, plan.recipientIds, plan.channels);
    const rows: Array<Record<string, unknown>> = [];
    for (const recipientId of plan.recipientIds) {
      for (const channel of plan.channels) {
        const base = {
          id: crypto.randomUUID(),
          organization_id: subject.organizationId,
          subject_type: subject.type,
          subject_id: subject.id,
          recipient_id: recipientId,
          channel,
          kind: plan.kind,
          about_user_id: plan.aboutUserId ?? recipientId,
          due_at: subject.dueAt,
        };
        const channelReach = reach.get(recipientId)!.get(channel)!;
        if ('skip' in channelReach) {
          if (plan.unreachable === 'record') rows.push({ ...base, target: '', status: 'skipped', last_error: channelReach.skip });
        } else for (const target of channelReach.targets) rows.push({ ...base, id: crypto.randomUUID(), target, status: 'pending', last_error: null });
      }
    }
    const columns = [
      'id',
      'organization_id',
      'subject_type',
      'subject_id',
      'recipient_id',
      'channel',
      'kind',
      'about_user_id',
      'due_at',
      'target',
      'status',
      'last_error',
    ];
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      // A repeated plan (a retried activity) inserts nothing new, so a skip is counted once, when it is written.
      const inserted = await em.execute<Array<{ channel: string; status: string }>>(
        `insert into delivery (${columns.join(', ')}) values ${chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ')}
         on conflict do nothing returning channel, status`,
        chunk.flatMap((row) => columns.map((column) => row[column])),
      );
      for (const row of inserted) if (row.status === 'skipped') this.metrics.deliveryRecorded(row.channel, 'skipped');
    }
    if (plan.recipientIds.length === 0) return [];
    const pending = await em.execute<Array<{ id: string; channel: ProviderChannel }>>(
      `select id, channel from delivery
        where subject_type = ? and subject_id = ? and kind = ? and channel in (${plan.channels.map(() => '?').join(', ')})
          and recipient_id in (${plan.recipientIds.map(() => '?').join(', ')})
          and about_user_id = ${plan.aboutUserId ? '?' : 'recipient_id'} and status in ('pending', 'sending')
        order by created_at, id`,
      [subject.type, subject.id, plan.kind, ...plan.channels, ...plan.recipientIds, ...(plan.aboutUserId ? [plan.aboutUserId] : [])],
    );
    return pending.map((row) => ({ deliveryId: row.id, channel: row.channel }));
  }

  /**
   * Claims the next attempt before the provider is called. A delivery still `sending` under a live lease
   * is someone else's attempt in flight; under an expired one, that attempt's worker died mid-call: its
   * outcome is unknown, and this attempt is a resend after a crash.
   */
  async claim(deliveryId: string): Promise<Claim> {
    // One statement, so one round trip and atomic without a transaction: lock the row, close a crashed
    // attempt's timeline entry, take the lease and open this attempt's entry. Whoever waits on the lock
    // sees the winner's row and claims nothing.
    const [row] = await this.em.execute<Array<Record<string, unknown> & { lease_live: boolean; claimed_attempt: number | null }>>(
      `with locked as (
         select d.*, coalesce(d.lease_until > now(), false) as lease_live from delivery d where d.id = ? for update
       ), crashed as (
         update delivery_attempt a set outcome = 'unknown', finished_at = now(), reason = 'the worker stopped during the provider call; whether it was sent is unknown'
           from locked l
          where a.delivery_id = l.id and a.number = l.attempts and a.outcome is null and l.status = 'sending' and not l.lease_live
       ), claimed as (
         update delivery d set status = 'sending', attempts = l.attempts + 1, lease_until = now() + make_interval(secs => ?)
           from locked l
          where d.id = l.id and (l.status = 'pending' or (l.status = 'sending' and not l.lease_live))
         returning d.attempts
       ), started as (
         insert into delivery_attempt (delivery_id, number) select ?, attempts from claimed
       )
       select l.*, (select attempts from claimed) as claimed_attempt from locked l`,
      [deliveryId, LEASE_MS / 1000, deliveryId],
    );
    if (!row) throw new Error(`delivery ${deliveryId} does not exist`);
    const { lease_live: leaseLive, claimed_attempt: attempt, ...columns } = row;
    const delivery = this.em.map(Delivery, columns);
    if (attempt === null) {
      return delivery.status === 'sending' && leaseLive ? { kind: 'in_progress', delivery } : { kind: 'settled', delivery };
    }
    const resend = delivery.status === 'sending';
    if (resend) this.metrics.deliveryRecorded(delivery.channel, 'unknown');
    delivery.attempts = attempt;
    delivery.status = 'sending';
    return { kind: 'send', delivery, attempt, resend };
  }

  /** Writes the outcome of the attempt that claimed it, once: the delivery's state and its timeline entry. */
  async settle(claim: Extract<Claim, { kind: 'send' }>, outcome: SettledOutcome): Promise<void> {
    const { delivery, attempt } = claim;
    const timeline: AttemptOutcome = outcome.status === 'sent' && claim.resend ? 'resent_after_crash' : outcome.status;
    const reason = outcome.status === 'sent' ? null : outcome.reason.slice(0, 500);
    // One statement, and only while this attempt still holds the claim: a later attempt may have taken
    // over after its lease, and then it, not this one, writes the outcome. So each attempt's outcome is
    // written (and counted) once, however late or often this is called.
    const [{ settled }] = await this.em.execute<Array<{ settled: boolean }>>(
      `with settled as (
         update delivery set status = ?, lease_until = null, last_error = ?, provider_message_id = coalesce(?, provider_message_id),
                sent_at = case when ? then now() else sent_at end
          where id = ? and status = 'sending' and attempts = ?
         returning id
       ), closed as (
         update delivery_attempt set outcome = ?, reason = ?, finished_at = now()
          where delivery_id = ? and number = ? and exists (select 1 from settled)
       )
       select exists (select 1 from settled) as settled`,
      [
        outcome.status === 'retrying' ? 'pending' : outcome.status,
        reason,
        outcome.status === 'sent' ? (outcome.providerMessageId ?? null) : null,
        outcome.status === 'sent',
        delivery.id,
        attempt,
        timeline,
        reason,
        delivery.id,
        attempt,
      ],
    );
    if (!settled) return;
    this.metrics.deliveryRecorded(delivery.channel, timeline);
    if (outcome.status === 'sent') this.metrics.observeDeliveryLag(delivery.channel, (Date.now() - delivery.dueAt.getTime()) / 1000);
  }

  /**
   * `claim` for many deliveries in one statement, for a batch send (one provider request for them all):
   * the same rules, row by row. Returns a claim per delivery, in the order given.
   */
  async claimBatch(deliveryIds: readonly string[]): Promise<BatchClaim[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await this.em.execute<
      Array<{
        id: string;
        recipient_id: string;
        channel: ProviderChannel;
        status: Delivery['status'];
        attempts: number;
        due_at: Date;
        lease_live: boolean;
        claimed_attempt: number | null;
      }>
    >(
      `with locked as (
         select d.id, d.recipient_id, d.channel, d.status, d.attempts, d.due_at, coalesce(d.lease_until > now(), false) as lease_live
           from delivery d where d.id = any(?::uuid[]) order by d.id for update
       ), crashed as (
         update delivery_attempt a set outcome = 'unknown', finished_at = now(), reason = 'the worker stopped during the provider call; whether it was sent is unknown'
           from locked l
          where a.delivery_id = l.id and a.number = l.attempts and a.outcome is null and l.status = 'sending' and not l.lease_live
       ), claimed as (
         update delivery d set status = 'sending', attempts = l.attempts + 1, lease_until = now() + make_interval(secs => ?)
           from locked l
          where d.id = l.id and (l.status = 'pending' or (l.status = 'sending' and not l.lease_live))
         returning d.id, d.attempts
       ), started as (
         insert into delivery_attempt (delivery_id, number) select id, attempts from claimed
       )
       select l.*, c.attempts as claimed_attempt from locked l left join claimed c on c.id = l.id`,
      [`{${deliveryIds.join(',')}}`, LEASE_MS / 1000],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return deliveryIds.map((id): BatchClaim => {
      const row = byId.get(id);
      if (!row) throw new Error(`delivery ${id} does not exist`);
      const { lease_live: leaseLive, claimed_attempt: attempt } = row;
      const delivery: ClaimedDelivery = {
        id: row.id,
        recipientId: row.recipient_id,
        channel: row.channel,
        status: row.status,
        attempts: row.attempts,
        dueAt: new Date(row.due_at),
      };
      if (attempt === null) return delivery.status === 'sending' && leaseLive ? { kind: 'in_progress', delivery } : { kind: 'settled', delivery };
      const resend = delivery.status === 'sending';
      if (resend) this.metrics.deliveryRecorded(delivery.channel, 'unknown');
      delivery.attempts = attempt;
      delivery.status = 'sending';
      return { kind: 'send', delivery, attempt, resend };
    });
  }

  /** `settle` for the claims of one batch send, which had one outcome for them all: one statement. */
  async settleBatch(claims: ReadonlyArray<Extract<BatchClaim, { kind: 'send' }>>, outcome: SettledOutcome): Promise<void> {
    if (claims.length === 0) return;
    const reason = outcome.status === 'sent' ? null : outcome.reason.slice(0, 500);
    const timelineOf = (claim: Extract<BatchClaim, { kind: 'send' }>): AttemptOutcome =>
      outcome.status === 'sent' && claim.resend ? 'resent_after_crash' : outcome.status;
    const settled = await this.em.execute<Array<{ id: string }>>(
      `with given as (
         select * from unnest(?::uuid[], ?::int[], ?::text[]) as g(id, attempt, timeline)
       ), settled as (
         update delivery d set status = ?, lease_until = null, last_error = ?, provider_message_id = coalesce(?, d.provider_message_id),
                sent_at = case when ? then now() else d.sent_at end
           from given g
          where d.id = g.id and d.status = 'sending' and d.attempts = g.attempt
         returning d.id
       ), closed as (
         update delivery_attempt a set outcome = g.timeline, reason = ?, finished_at = now()
           from given g join settled s on s.id = g.id
          where a.delivery_id = g.id and a.number = g.attempt
       )
       select id from settled`,
      [
        `{${claims.map((claim) => claim.delivery.id).join(',')}}`,
        `{${claims.map((claim) => claim.attempt).join(',')}}`,
        `{${claims.map(timelineOf).join(',')}}`,
        outcome.status === 'retrying' ? 'pending' : outcome.status,
        reason,
        outcome.status === 'sent' ? (outcome.providerMessageId ?? null) : null,
        outcome.status === 'sent',
        reason,
      ],
    );
    const settledIds = new Set(settled.map((row) => row.id));
    for (const claim of claims) {
      if (!settledIds.has(claim.delivery.id)) continue;
      this.metrics.deliveryRecorded(claim.delivery.channel, timelineOf(claim));
      if (outcome.status === 'sent') this.metrics.observeDeliveryLag(claim.delivery.channel, (Date.now() - claim.delivery.dueAt.getTime()) / 1000);
    }
  }

  /** Temporal gave up retrying (a day of transient failures): the delivery failed, with the last reason. */
  async giveUp(deliveryIds: readonly string[], reason: string): Promise<void> {
    if (deliveryIds.length === 0) return;
    // An attempt still open (its worker's outcome never came) is closed as failed with the same reason.
    const rows = await this.em.execute<Array<{ channel: string }>>(
      `with failed as (
         update delivery set status = 'failed', lease_until = null, last_error = ?
          where id in (${deliveryIds.map(() => '?').join(', ')}) and status in ('pending', 'sending')
         returning id, attempts, channel
       ), closed as (
         update delivery_attempt a set outcome = 'failed', reason = ?, finished_at = now()
           from failed f where a.delivery_id = f.id and a.number = f.attempts and a.outcome is null
       )
       select channel from failed`,
      [reason.slice(0, 500), ...deliveryIds, reason.slice(0, 500)],
    );
    for (const row of rows) this.metrics.deliveryRecorded(row.channel, 'failed');
  }
}
