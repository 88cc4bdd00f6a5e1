import { Logger } from '@nestjs/common';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { WorkflowGateway } from './workflow-gateway.js';

/** A Temporal Schedule that starts one workflow, with no arguments, every `intervalSeconds`. */
export interface PeriodicSchedule {
  scheduleId: string;
  workflowType: string;
  taskQueue: string;
  intervalSeconds: number;
}

/**
 * A run that cannot finish (no worker polls its task queue any more, say after the queue was renamed)
 * would otherwise hold off every later run, the overlap policy being SKIP.
 */
const RUN_TIMEOUT_MS = 10 * 60_000;
/** After Temporal was down, one catch-up run is enough: each run does everything due by then. */
const CATCHUP_WINDOW_MS = 60_000;

function scheduleOptions(schedule: PeriodicSchedule): ScheduleOptions {
  return {
    scheduleId: schedule.scheduleId,
    spec: { intervals: [{ every: schedule.intervalSeconds * 1000 }] },
    action: {
      type: 'startWorkflow',
      workflowType: schedule.workflowType,
      taskQueue: schedule.taskQueue,
      // The schedule appends the time of each run to this id.
      workflowId: schedule.scheduleId,
      args: [],
      workflowRunTimeout: RUN_TIMEOUT_MS,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW_MS },
  };
}

function isAsWanted(current: ScheduleDescription, schedule: PeriodicSchedule): boolean {
  const intervals = current.spec.intervals ?? [];
  return (
    intervals.length === 1 &&
    intervals[0].every === schedule.intervalSeconds * 1000 &&
    !intervals[0].offset &&
    !current.spec.calendars?.length &&
    current.action.workflowType === schedule.workflowType &&
    current.action.taskQueue === schedule.taskQueue &&
    current.action.workflowId === schedule.scheduleId &&
    current.action.workflowRunTimeout === RUN_TIMEOUT_MS &&
    current.policies.overlap === ScheduleOverlapPolicy.SKIP &&
    current.policies.catchupWindow === CATCHUP_WINDOW_MS
  );
}

/**
 * Creates the schedule, or brings an existing one to these settings. Every worker calls it at start, several at
 * once: one creates it, the others find it and update it only if it differs. A pause set by an operator is kept.
 */
export async function ensurePeriodicSchedule(client: Client, schedule: PeriodicSchedule): Promise<'created' | 'updated' | 'unchanged'> {
  const options = scheduleOptions(schedule);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(schedule.scheduleId);
  if (isAsWanted(await handle.describe(), schedule)) return 'unchanged';
  await handle.update((current) => ({ ...current, spec: options.spec, action: options.action, policies: { ...current.policies, ...options.policies } }));
  return 'updated';
}

/**
 * The worker's start: ensures the schedule through the gateway's client. A failure is logged, not fatal: the
 * worker still does its work, and the next worker to start tries again.
 */
export async function ensurePeriodicScheduleForWorker(gateway: WorkflowGateway, schedule: PeriodicSchedule): Promise<void> {
  const logger = new Logger('Schedules');
  try {
    const change = await ensurePeriodicSchedule(gateway.client, schedule);
    logger.log(`schedule ${schedule.scheduleId} ${change}: every ${schedule.intervalSeconds} s`);
  } catch (error) {
    logger.error(`could not create or update the schedule ${schedule.scheduleId}: ${(error as Error).message}`);
  }
}
