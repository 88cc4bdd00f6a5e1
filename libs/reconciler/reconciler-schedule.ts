import type { Client } from '@temporalio/client';
import { RECONCILE_WORKFLOW, RECONCILER_SCHEDULE_ID } from '../../workflows/reconcile.contract.js';
import type { AppConfig } from '../config/app-config.js';
import { ensurePeriodicSchedule, ensurePeriodicScheduleForWorker, type PeriodicSchedule } from '../temporal/periodic-schedule.js';
import type { WorkflowGateway } from '../temporal/workflow-gateway.js';

export interface ReconcilerScheduleSettings {
  intervalSeconds: number;
  taskQueue: string;
}

const reconcilerSchedule = (settings: ReconcilerScheduleSettings): PeriodicSchedule => ({
  scheduleId: RECONCILER_SCHEDULE_ID,
  workflowType: RECONCILE_WORKFLOW,
  ...settings,
});

/** The `tidings-reconciler` schedule, created or brought to these settings (see ensurePeriodicSchedule). */
export const ensureReconcilerSchedule = (client: Client, settings: ReconcilerScheduleSettings) => ensurePeriodicSchedule(client, reconcilerSchedule(settings));

export const ensureReconcilerScheduleForWorker = (gateway: WorkflowGateway, config: AppConfig) =>
  ensurePeriodicScheduleForWorker(gateway, reconcilerSchedule({ intervalSeconds: config.reconciler.intervalSeconds, taskQueue: config.temporal.taskQueue }));
