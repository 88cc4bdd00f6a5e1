import type { EntityManager } from '@mikro-orm/postgresql';
import type { WorkflowSignal, WorkflowStart } from '../temporal/workflow-gateway.js';

/** What the relay is to tell Temporal, stored as JSON in `workflow_outbox.command`. */
export type OutboxCommand =
  | ({ kind: 'start' } & WorkflowStart)
  | ({ kind: 'signal' } & WorkflowSignal)
  /** Wake a workflow with a signal, or start it with the signal if it is missing: the reconciler's repair. */
  | ({ kind: 'signalWithStart'; signal: string; signalArgs: unknown[] } & WorkflowStart);

/** The channel the outbox trigger notifies on commit, so the relay wakes at once instead of at its next poll. */
export const OUTBOX_CHANNEL = 'workflow_outbox';

/**
 * The transactional outbox: what Temporal must hear is written in the same transaction as the rows it is
 * about, so a committed message always gets its workflow and its signals, whether or not Temporal is up.
 * The relay (outbox-relay.ts) sends the entries after commit, in order per workflow.
 */
export const WorkflowOutbox = {
  /** Inside the caller's transaction: pass the transaction's EntityManager. */
  async enqueue(em: EntityManager, ...commands: OutboxCommand[]): Promise<void> {
    if (commands.length === 0) return;
    await em.execute(
      `insert into workflow_outbox (workflow_id, command) values ${commands.map(() => '(?, ?::jsonb)').join(', ')}`,
      commands.flatMap((command) => [command.workflowId, JSON.stringify(command)]),
    );
  },

  start(em: EntityManager, start: WorkflowStart): Promise<void> {
    return WorkflowOutbox.enqueue(em, { kind: 'start', ...start });
  },

  signal(em: EntityManager, workflowId: string, signal: string, ...args: unknown[]): Promise<void> {
    return WorkflowOutbox.enqueue(em, { kind: 'signal', workflowId, signal, args });
  },

  /** How many entries wait, and how long the oldest has waited: for /health and /metrics. */
  async backlog(em: EntityManager): Promise<{ pending: number; oldestSeconds: number }> {
    const [row] = await em.execute<Array<{ pending: number; oldest_seconds: number | null }>>(
      `select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as oldest_seconds from workflow_outbox`,
    );
    return { pending: row.pending, oldestSeconds: Math.max(0, Math.round(row.oldest_seconds ?? 0)) };
  },
};
