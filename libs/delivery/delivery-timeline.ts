import type { EntityManager } from '@mikro-orm/postgresql';
import { Delivery, type AttemptOutcome, type DeliverySubjectType } from './delivery.entity.js';

export interface TimelineEntry {
  attempt: number;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: AttemptOutcome | 'in_flight';
  reason: string | null;
}

export type DeliveryWithTimeline = Delivery & { timeline: TimelineEntry[] };

/**
 * The ledger rows of some subjects, each with its attempts in order, by subject id: what support looks at
 * when someone says they heard nothing.
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
  const attempts = await em.execute<
    Array<{ delivery_id: string; number: number; started_at: Date; finished_at: Date | null; outcome: AttemptOutcome | null; reason: string | null }>
  >(
    `select delivery_id, number, started_at, finished_at, outcome, reason from delivery_attempt where delivery_id in (${deliveries.map(() => '?').join(', ')}) order by number`,
    deliveries.map((d) => d.id),
  );
  for (const delivery of deliveries) {
    bySubject.get(delivery.subjectId)!.push(
      Object.assign(delivery, {
        timeline: attempts
          .filter((a) => a.delivery_id === delivery.id)
          .map((a) => ({
            attempt: a.number,
            startedAt: new Date(a.started_at),
            finishedAt: a.finished_at === null ? null : new Date(a.finished_at),
            outcome: a.outcome ?? ('in_flight' as const),
            reason: a.reason,
          })),
      }),
    );
  }
  return bySubject;
}
