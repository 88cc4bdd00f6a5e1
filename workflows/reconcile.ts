import { proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities, ReconcileSummary } from './reconcile.contract.js';

/** A failed run is retried a little; the schedule's next run comes soon anyway. */
const { reconcileDeliveries } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** One pass of the reconciler, started by the `tidings-reconciler` schedule: its result says what it repaired. */
export async function reconcile(): Promise<ReconcileSummary> {
  return reconcileDeliveries();
}
