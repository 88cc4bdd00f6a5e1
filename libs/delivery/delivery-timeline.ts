import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryEventKind } from './delivery-event.entity.js';
import { Delivery, type AttemptOutcome, type DeliverySubjectType } from './delivery.entity.js';

/** One attempt at the send: ours. */
export interface AttemptTimelineEntry {
  attempt: number;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: AttemptOutcome | 'in_flight';
  reason: string | null;
}

/** What the provider reported after accepting the send (SendGrid's event webhook). */
export interface ProviderEventTimelineEntry {
  outcome: DeliveryEventKind;
  at: Date;
  reason: string | null;
}

export type TimelineEntry = AttemptTimelineEntry | ProviderEventTimelineEntry;

export type DeliveryWithTimeline = Delivery & { timeline: TimelineEntry[] };

/**
 * The ledger rows of some subjects, each with its timeline, by subject id: its attempts and the provider's
 * events about it, in time order. What support looks at when someone says they heard nothing.
 */
export async function deliveriesOf(em: EntityManager, type: DeliverySubjectType, subjectIds: readonly string[]): Promise<Map<string, DeliveryWithTimeline[]>> {
  const bySubject = new Map<string, DeliveryWithTimeline[]>(subjectIds.map((id) => [id, []]));
  if (subjectIds.length === 0) return bySubject;
  const deliveries = await em.find(
    Delivery,
    { subjectType: type, subjectId: { $in: [...subjectIds] } },
    { orderBy: { channel: 'asc', createdAt: 'asc', target: 'asc' } },
  );
  if (deliveries.length === 0) return bySubject;
  const ids = deliveries.map((d) => d.id);
  const placeholders = ids.map(() => '?').join(', ');
  const attempts = await em.execute<
    Array<{ delivery_id: string; number: number; started_at: Date; finished_at: Date | null; outcome: AttemptOutcome | null; reason: string | null }>
  >(`select delivery_id, number, started_at, finished_at, outcome, reason from delivery_attempt where delivery_id in (${placeholders}) order by number`, ids);
  // Only email has provider events so far; the query is cheap either way (indexed by delivery).
  const events = await em.execute<Array<{ delivery_id: string; event: DeliveryEventKind; reason: string | null; occurred_at: Date }>>(
    `select delivery_id, event, reason, occurred_at from delivery_event where delivery_id in (${placeholders}) order by occurred_at, created_at, id`,
    ids,
  );
  for (const delivery of deliveries) {
    const own: AttemptTimelineEntry[] = attempts
      .filter((a) => a.delivery_id === delivery.id)
      .map((a) => ({
        attempt: a.number,
        startedAt: new Date(a.started_at),
        finishedAt: a.finished_at === null ? null : new Date(a.finished_at),
        outcome: a.outcome ?? ('in_flight' as const),
        reason: a.reason,
      }));
    const reported: ProviderEventTimelineEntry[] = events
      .filter((e) => e.delivery_id === delivery.id)
      .map((e) => ({ outcome: e.event, at: new Date(e.occurred_at), reason: e.reason }));
    bySubject.get(delivery.subjectId)!.push(Object.assign(delivery, { timeline: inTimeOrder(own, reported) }));
  }
  return bySubject;
}

/**
 * Attempts and provider events merged by time. The provider's clock counts whole seconds, so an event is
 * placed after every attempt that started within its second (the send it reports on came first).
 */
function inTimeOrder(attempts: AttemptTimelineEntry[], events: ProviderEventTimelineEntry[]): TimelineEntry[] {
  const second = (at: Date) => Math.floor(at.getTime() / 1000);
  const merged: TimelineEntry[] = [];
  let next = 0;
  for (const event of events) {
    while (next < attempts.length && second(attempts[next].startedAt) <= second(event.at)) merged.push(attempts[next++]);
    merged.push(event);
  }
  return merged.concat(attempts.slice(next));
}
