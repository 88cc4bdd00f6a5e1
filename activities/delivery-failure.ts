import { ApplicationFailure } from '@temporalio/common';
import { PermanentDeliveryError, TransientDeliveryError } from '../libs/channels/channel.js';

/**
 * A provider's permanent refusal becomes a non-retryable failure, so Temporal stops retrying at once. A
 * transient one that said how long to wait (Retry-After, capped when parsed) makes the next retry wait
 * that long instead of the retry policy's backoff; the policy's limits (attempts, schedule-to-close)
 * still apply. A wait of 0 leaves the backoff as it is.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof PermanentDeliveryError) {
    return ApplicationFailure.create({ type: 'PermanentDeliveryError', message: error.message, nonRetryable: true });
  }
  if (error instanceof TransientDeliveryError && error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
    return ApplicationFailure.create({ type: error.name, message: error.message, nextRetryDelay: error.retryAfterMs });
  }
  return error;
}
