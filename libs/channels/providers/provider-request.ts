import { PROVIDER_REQUEST_TIMEOUT_MS } from '../../../workflows/delivery-policy.js';
import { DeliveryAbortedError, TransientDeliveryError } from '../channel.js';

export interface ProviderRequestOptions {
  /** Only for tests that need the deadline to fire; production uses PROVIDER_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
}

export const requestTimeoutOf = (options: ProviderRequestOptions): number => options.requestTimeoutMs ?? PROVIDER_REQUEST_TIMEOUT_MS;

/**
 * Runs one provider request under a signal that fires when the caller aborts (its activity was
 * cancelled or timed out) or the deadline passes, whichever comes first. The deadline bounds the
 * whole exchange, unlike the SDKs' socket timeouts, which only notice a silent connection; so the
 * activity timeout around a send can count on it.
 *
 * `request` maps the provider's own errors; when the signal ended the request, its error is replaced
 * by one that says which side gave up.
 */
export async function runProviderRequest<T>(
  provider: string,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (callerSignal?.aborted) throw new DeliveryAbortedError(provider);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
  try {
    return await request(signal);
  } catch (error) {
    if (callerSignal?.aborted) throw new DeliveryAbortedError(provider);
    if (deadline.signal.aborted) throw new TransientDeliveryError(`${provider} did not answer within ${timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
