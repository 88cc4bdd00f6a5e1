import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { redactEmailAddresses } from '../channels/providers/delivery-errors.js';
import type { DeliveryEventKind } from '../delivery/delivery-event.entity.js';
import { Delivery } from '../delivery/delivery.entity.js';
import { fieldError } from '../http/api-error.filter.js';
import { ProviderEventHooks, type HardFailureEvent } from './provider-event-hooks.js';

/** A SendGrid event as it may be recorded: one of a delivery of ours, by its `delivery_id` custom arg. */
export interface ProviderEvent {
  deliveryId: string;
  providerEventId: string;
  kind: DeliveryEventKind;
  reason: string | null;
  occurredAt: Date;
  /** Set when the event means the send failed for good. */
  hardFailure: HardFailureEvent | null;
}

export interface RecordedEvents {
  /** Events in the post. */
  received: number;
  /** Newly recorded: about a delivery of ours, and not seen before. */
  recorded: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSERT_CHUNK = 1000;
const MAX_REASON = 500;

/**
 * One SendGrid event (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event) as a
 * delivery event, or null when it is not one to record: another kind (processed, open, click…), no
 * `delivery_id` (mail not sent by the ledger) or no `sg_event_id` (nothing to recognise a retry by).
 * `bounce` of type `blocked` is a temporary refusal, so it is a deferral, not a failure.
 */
export function toProviderEvent(raw: unknown, receivedAt: Date): ProviderEvent | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const event = raw as Record<string, unknown>;
  const deliveryId = event.delivery_id;
  const providerEventId = event.sg_event_id;
  if (typeof deliveryId !== 'string' || !UUID.test(deliveryId)) return null;
  if (typeof providerEventId !== 'string' || providerEventId === '' || providerEventId.length > 200) return null;
  const recipient = typeof event.email === 'string' && event.email !== '' ? event.email : undefined;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? redactEmailAddresses(value.trim(), recipient) : null);
  const reason = text(event.reason) ?? text(event.response);
  let kind: DeliveryEventKind;
  let hardFailure: HardFailureEvent | null = null;
  let said = reason;
  switch (event.event) {
    case 'delivered':
    case 'deferred':
      kind = event.event;
      break;
    case 'bounce':
      if (event.type === 'blocked') {
        kind = 'deferred';
        said = `blocked: ${reason ?? 'no reason given'}`;
      } else {
        kind = 'bounced';
        hardFailure = 'bounce';
      }
      break;
    case 'dropped':
      kind = 'dropped';
      hardFailure = 'dropped';
      break;
    default:
      return null;
  }
  const seconds = typeof event.timestamp === 'number' ? event.timestamp : typeof event.timestamp === 'string' ? Number(event.timestamp) : NaN;
  const occurredAt = Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : receivedAt;
  return {
    deliveryId: deliveryId.toLowerCase(),
    providerEventId,
    kind,
    reason: said === null ? null : said.slice(0, MAX_REASON),
    occurredAt: Number.isNaN(occurredAt.getTime()) ? receivedAt : occurredAt,
    hardFailure,
  };
}

/**
 * Records what SendGrid's Event Webhook reports about our emails, once per event: `delivered` and
 * `deferred` are only recorded; a hard `bounce` or a `dropped` also fails the delivery (`last_error`
 * "bounced: …" / "dropped: …") and is passed to the ProviderEventHooks, all in one transaction. The post
 * is trusted because the controller's guard checked SendGrid's signature first.
 */
@Injectable()
export class ProviderEventsService {
  private readonly logger = new Logger(ProviderEventsService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly hooks: ProviderEventHooks,
  ) {}

  async recordSendgridEvents(body: unknown): Promise<RecordedEvents> {
    if (!Array.isArray(body)) throw fieldError('body', 'must be a JSON array of SendGrid events');
    const receivedAt = new Date();
    const unique = new Map<string, ProviderEvent>();
    for (const raw of body as unknown[]) {
      const event = toProviderEvent(raw, receivedAt);
      if (event && !unique.has(event.providerEventId)) unique.set(event.providerEventId, event);
    }
    if (unique.size === 0) return { received: body.length, recorded: 0 };
    const { recorded, failed } = await this.em.transactional((em) => this.record(em, [...unique.values()]));
    for (const { delivery, event } of failed) {
      // Never the reason here: it may quote the receiving server, and logs get no addresses.
      this.logger.warn(`delivery ${delivery.id} failed: SendGrid reported ${event === 'bounce' ? 'a hard bounce' : 'it dropped'}`);
    }
    return { received: body.length, recorded };
  }

  /** Stores the events not seen before, of email deliveries that exist, fails the deliveries they say failed, and tells the listeners, in `em`'s transaction. */
  private async record(
    em: EntityManager,
    events: ProviderEvent[],
  ): Promise<{ recorded: number; failed: Array<{ delivery: Delivery; event: HardFailureEvent }> }> {
    const stored = new Set<string>();
    for (let start = 0; start < events.length; start += INSERT_CHUNK) {
      const chunk = events.slice(start, start + INSERT_CHUNK);
      const rows = await em.execute<Array<{ provider_event_id: string }>>(
        `insert into delivery_event (id, delivery_id, event, reason, provider_event_id, occurred_at)
         select v.id, v.delivery_id, v.event, v.reason, v.provider_event_id, v.occurred_at
           from (values ${chunk.map(() => '(cast(? as uuid), cast(? as uuid), ?, ?, ?, cast(? as timestamptz))').join(', ')})
                as v (id, delivery_id, event, reason, provider_event_id, occurred_at)
           join delivery d on d.id = v.delivery_id and d.channel = 'email'
         on conflict (provider_event_id) do nothing
         returning provider_event_id`,
        chunk.flatMap((e) => [crypto.randomUUID(), e.deliveryId, e.kind, e.reason, e.providerEventId, e.occurredAt.toISOString()]),
      );
      for (const row of rows) stored.add(row.provider_event_id);
    }
    const failed: Array<{ delivery: Delivery; event: HardFailureEvent }> = [];
    const hardFailures = events.filter((e) => e.hardFailure && stored.has(e.providerEventId)).sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
    for (const event of hardFailures) {
      // Only a send the ledger settled as sent: a later failure of the same delivery (a bounce after a
      // drop) changes nothing more, and one still `sending` is left to the attempt that holds it.
      const [row] = await em.execute<Array<Record<string, unknown>>>(
        `update delivery set status = 'failed', last_error = ? where id = ? and status = 'sent' returning *`,
        [`${event.kind}: ${event.reason ?? 'no reason given'}`.slice(0, MAX_REASON), event.deliveryId],
      );
      if (!row) continue;
      const delivery = em.map(Delivery, row);
      // In this transaction: what the listeners write (a fallback, its outbox entry) commits with the event or not at all.
      await this.hooks.hardFailure(em, delivery, event.hardFailure!);
      failed.push({ delivery, event: event.hardFailure! });
    }
    return { recorded: stored.size, failed };
  }
}
