import { Context } from '@temporalio/activity';
import type { DeliveryActivities } from '../workflows/delivery-policy.js';
import type { Deliverer } from '../libs/delivery/deliverer.js';
import type { DeliveryLedger } from '../libs/delivery/delivery-ledger.js';
import { toActivityFailure } from './delivery-failure.js';

/** Runs each call in its own unit of work, as an HTTP request would. */
export type DeliveryUnitOfWork = <T>(work: (services: { deliverer: Deliverer; ledger: DeliveryLedger }) => Promise<T>) => Promise<T>;

/** Well inside the heartbeat timeout of PROVIDER_ACTIVITY_OPTIONS, so a live send is never taken for a dead one. */
const HEARTBEAT_EVERY_MS = 5_000;

/**
 * The send every delivering workflow uses. It heartbeats while the provider works, so a worker that dies
 * mid-send is noticed within the heartbeat timeout, and it hands the activity's cancellation signal to the
 * provider, so a cancelled or timed-out attempt aborts its HTTP request instead of running on beside its retry.
 */
export function createDeliveryActivities(inUnitOfWork: DeliveryUnitOfWork): DeliveryActivities {
  return {
    sendDelivery: (deliveryId) => inUnitOfWork(({ deliverer }) => whileSending((signal) => deliverer.deliver(deliveryId, signal))),
    recordDeliveryGaveUp: (deliveryId, reason) => inUnitOfWork(({ ledger }) => ledger.giveUp([deliveryId], reason)),
  };
}

/**
 * Runs a provider send inside the current activity: heartbeating while it works, with the activity's
 * cancellation signal to abort its request, and a permanent refusal made non-retryable.
 */
export async function whileSending<T>(send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const context = Context.current();
  const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await send(context.cancellationSignal);
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    clearInterval(heartbeat);
  }
}
