import { ApplicationFailure } from '@temporalio/common';
import { PermanentDeliveryError } from '../libs/channels/channel.js';

/** A provider's permanent refusal becomes a non-retryable failure, so Temporal stops retrying at once. */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof PermanentDeliveryError) {
    return ApplicationFailure.create({ type: 'PermanentDeliveryError', message: error.message, nonRetryable: true });
  }
  return error;
}
