// How long a provider send may take and how its activity retries, in one place that both sides can
// import: the workflows (which must not import libs/ or activities/) and the providers in libs/.
// Keep it free of such imports, and deterministic: it is bundled into the workflow sandbox.
import { ActivityFailure, ApplicationFailure, type RetryPolicy } from '@temporalio/common';
import type { ActivityOptions } from '@temporalio/workflow';

/**
 * How long one provider HTTP request may take before we give up on it. Providers that accept a
 * message and answer a minute later are real; cutting them off sooner makes the retry send the
 * message twice, so this stays well above their slowest answer.
 */
export const PROVIDER_REQUEST_TIMEOUT_MS = 90_000;

/** A 429 or 5xx waits and tries again for up to a day (scheduleToCloseTimeout); a permanent refusal stops at once. */
const PROVIDER_RETRY_POLICY: RetryPolicy = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '10 minutes',
  nonRetryableErrorTypes: ['PermanentDeliveryError'],
};

/**
 * Activity options for a provider send. The activity's own timeout leaves 30 s around the request
 * for the ledger's claim and bookkeeping; the heartbeat lets a worker that died mid-send be noticed
 * long before that, and cancellation reach the running request.
 */
export const PROVIDER_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: PROVIDER_REQUEST_TIMEOUT_MS + 30_000,
  heartbeatTimeout: '20 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: PROVIDER_RETRY_POLICY,
};

/**
 * For the one-activity-per-channel sends of workflows started before the delivery ledger: those
 * activities do not heartbeat. A slow attempt that times out is retried, and the ledger's lease keeps
 * the retry from sending while it may still be in flight.
 */
export const PROVIDER_ACTIVITY_OPTIONS_BEFORE_LEDGER: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '24 hours',
  retry: PROVIDER_RETRY_POLICY,
};

/** Why an activity failed, on one line: the activity's own error message rather than Temporal's wrapper. */
export function failureReason(error: unknown): string {
  const reason = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
  return reason.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** One ledger row to send: what the plan activities return and `sendDelivery` takes. */
export interface DeliveryTarget {
  deliveryId: string;
  channel: 'push' | 'email' | 'sms';
}

/**
 * At most this many sends are pending in one workflow at a time. Temporal stops a workflow that has
 * 2,000 pending activities; a window well below that keeps a 1,000-person conversation moving.
 */
export const MAX_SENDS_IN_FLIGHT = 100;

/** Runs `work` over `items` with at most `limit` in flight, in order of start. */
export async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** A provider refused for good: the ledger recorded it when the activity failed, so nothing more to write. */
export function isPermanentFailure(error: unknown): boolean {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable === true;
}

/** The activities every delivering workflow shares (activities/delivery.activities.ts). */
export interface DeliveryActivities {
  /** Claims the delivery, sends it through its provider, and records the outcome; heartbeats while the provider works. */
  sendDelivery(deliveryId: string): Promise<'sent' | 'skipped'>;
  /** Temporal gave up retrying (transient failures for a day): the delivery failed, with this reason. */
  recordDeliveryGaveUp(deliveryId: string, reason: string): Promise<void>;
}

/**
 * Sends every target, at most MAX_SENDS_IN_FLIGHT at a time, each retrying on its own: one failing holds
 * back none of the others. A permanent refusal was recorded by the activity; a send Temporal gave up on
 * is recorded here. Runs inside a workflow: `activities` are its proxies.
 */
export async function deliverAll(
  targets: readonly DeliveryTarget[],
  activities: DeliveryActivities,
  onOutcome: (target: DeliveryTarget, outcome: 'sent' | 'skipped' | 'failed') => void = () => undefined,
): Promise<void> {
  await forEachBounded(targets, MAX_SENDS_IN_FLIGHT, async (target) => {
    try {
      onOutcome(target, await activities.sendDelivery(target.deliveryId));
    } catch (error) {
      if (!isPermanentFailure(error)) await activities.recordDeliveryGaveUp(target.deliveryId, failureReason(error));
      onOutcome(target, 'failed');
    }
  });
}
