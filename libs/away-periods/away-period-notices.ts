import type { EntityManager } from '@mikro-orm/postgresql';
import type { AwayPeriodNotice } from '../../workflows/chat-request.contract.js';

export { periodCovering } from '../../workflows/chat-request.contract.js';

/**
 * Orders, per care manager, the writes that decide which workflows hear about their away periods. Setting
 * or removing a period (`change`, exclusive) signals the workflows of the tasks they own; giving them a
 * task (`assign`, shared: assignments do not wait for each other) hands the new workflow their periods.
 * Without it, a period set while a task moves to them could reach neither. Held until the transaction ends.
 */
export async function lockAwayPeriodsOf(em: EntityManager, userId: string, purpose: 'change' | 'assign'): Promise<void> {
  const lock = purpose === 'change' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
  await em.execute(`select ${lock}(hashtextextended(?, 0))`, [`away-periods:${userId}`]);
}

/** The care manager's away periods that have not ended, as their tasks' workflows take them. */
export async function awayPeriodNotices(em: EntityManager, userId: string): Promise<AwayPeriodNotice[]> {
  const rows = await em.execute<Array<{ id: string; user_id: string; covered_by_id: string; starts_at: Date; ends_at: Date }>>(
    `select id, user_id, covered_by_id, starts_at, ends_at from away_period where user_id = ? and ends_at > now() order by starts_at, id`,
    [userId],
  );
  return rows.map(toAwayPeriodNotice);
}

export function toAwayPeriodNotice(row: { id: string; user_id: string; covered_by_id: string; starts_at: Date; ends_at: Date }): AwayPeriodNotice {
  return {
    id: row.id,
    userId: row.user_id,
    coveredById: row.covered_by_id,
    startsAt: new Date(row.starts_at).getTime(),
    endsAt: new Date(row.ends_at).getTime(),
  };
}
