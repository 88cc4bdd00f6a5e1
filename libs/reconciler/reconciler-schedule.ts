import { Logger } from '@nestjs/common';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { RECONCILE_WORKFLOW, RECONCILER_SCHEDULE_ID } from '../../workflows/reconcile.contract.js';
import type { AppConfig } from '../config/app-config.js';
import type { WorkflowGateway } from '../temporal/workflow-gateway.js';

export interface ReconcilerScheduleSettings {
  intervalSeconds: number;
  taskQueue: string;
}

/**
 * A run that cannot finish (no worker polls its task queue any more, say after the queue was renamed)
 * would otherwise hold off every later run, the overlap policy being SKIP.
 */
const RUN_TIMEOUT_MS = 10 * 60_000;
/** After Temporal was down, one catch-up run is enough: a run repairs everything due by then. */
const CATCHUP_WINDOW_MS = 60_000;

function scheduleOptions(settings: ReconcilerScheduleSettings): ScheduleOptions {
  return {
    scheduleId: RECONCILER_SCHEDULE_ID,
    spec: { intervals: [{ every: settings.intervalSeconds * 1000 }] },
    action: {
      type: 'startWorkflow',
      workflowType: RECONCILE_WORKFLOW,
      taskQueue: settings.taskQueue,
      // The schedule appends the time of each run to this id.
      workflowId: RECONCILER_SCHEDULE_ID,
      args: [],
      workflowRunTimeout: RUN_TIMEOUT_MS,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW_MS },
  };
}

function isAsWanted(current: ScheduleDescription, settings: ReconcilerScheduleSettings): boolean {
  const intervals = current.spec.intervals ?? [];
  return (
    intervals.length === 1 &&
    intervals[0].every === settings.intervalSeconds * 1000 &&
    !intervals[0].offset &&
    !current.spec.calendars?.length &&
    current.action.workflowType === RECONCILE_WORKFLOW &&
    current.action.taskQueue === settings.taskQueue &&
    current.action.workflowId === RECONCILER_SCHEDULE_ID &&
    current.action.workflowRunTimeout === RUN_TIMEOUT_MS &&
    current.policies.overlap === ScheduleOverlapPolicy.SKIP &&
    current.policies.catchupWindow === CATCHUP_WINDOW_MS
  );
}

/**
 * Creates the reconciler's schedule, or brings an existing one to these settings. Every worker calls it
 * at start, several at once: one creates it, the others find it and update it only if it differs. A
 * pause set by an operator is kept.
 */
export async function ensureReconcilerSchedule(client: Client, settings: ReconcilerScheduleSettings): Promise<'created' | 'updated' | 'unchanged'> {
  const options = scheduleOptions(settings);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(RECONCILER_SCHEDULE_ID);
  if (isAsWanted(await handle.describe(), settings)) return 'unchanged';
  await handle.update((current) => ({ ...current, spec: options.spec, action: options.action, policies: { ...current.policies, ...options.policies } }));
  return 'updated';
}

/**
 * The worker's start: ensures the schedule through the gateway's client. A failure is logged, not fatal:
 * the worker still delivers, and the next worker to start tries again.
 */
export async function ensureReconcilerScheduleForWorker(gateway: WorkflowGateway, config: AppConfig): Promise<void> {
  const logger = new Logger('Reconciler');
  const settings = { intervalSeconds: config.reconciler.intervalSeconds, taskQueue: config.temporal.taskQueue };
  try {
    const change = await ensureReconcilerSchedule(gateway.client, settings);
    logger.log(`schedule ${RECONCILER_SCHEDULE_ID} ${change}: every ${settings.intervalSeconds} s`);
  } catch (error) {
    logger.error(`could not create or update the schedule ${RECONCILER_SCHEDULE_ID}: ${(error as Error).message}`);
  }
}
