import type { ReconcileActivities } from '../workflows/reconcile.contract.js';
import type { ReconcilerService } from '../libs/reconciler/reconciler.service.js';

/** Runs the call in its own unit of work, as an HTTP request would. */
export type ReconcilerUnitOfWork = <T>(work: (service: ReconcilerService) => Promise<T>) => Promise<T>;

/** A thin adapter from Temporal to the reconciler service. */
export function createReconcileActivities(inUnitOfWork: ReconcilerUnitOfWork): ReconcileActivities {
  return {
    reconcileDeliveries: () => inUnitOfWork((service) => service.reconcile()),
  };
}
