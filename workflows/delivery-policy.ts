// How long a provider send may take and how its activity retries, in one place that both sides can
// import: the workflows (which must not import libs/ or activities/) and the providers in libs/.
// Keep it free of such imports, and deterministic: it is bundled into the workflow sandbox.
import { ActivityFailure } from '@temporalio/common';
import type { ActivityOptions } from '@temporalio/workflow';

/**
 * How long one provider HTTP request may take before we give up on it. Providers that accept a
 * message and answer a minute later are real; cutting them off sooner makes the retry send the
 * message twice, so this stays well above their slowest answer.
 */
export const PROVIDER_REQUEST_TIMEOUT_MS = 90_000;

/**
 * Activity options for a provider send. The activity's own timeout leaves 30 s around the request
 * for the ledger's claim and bookkeeping; the heartbeat lets a worker that died mid-send be noticed
 * long before that, and cancellation reach the running request.
 */
export const PROVIDER_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: PROVIDER_REQUEST_TIMEOUT_MS + 30_000,
  heartbeatTimeout: '20 seconds',
  // A 429 or 5xx waits and tries again for up to a day.
  scheduleToCloseTimeout: '24 hours',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: ['PermanentDeliveryError'],
  },
};

/** Why an activity failed, on one line: the activity's own error message rather than Temporal's wrapper. */
export function failureReason(error: unknown): string {
  const reason = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
  return reason.replace(/\s*[\r\n]+\s*/g, ' ');
}
