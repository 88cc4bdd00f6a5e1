import { proxyActivities, sleep } from '@temporalio/workflow';
import {
  deliverAll,
  FALLBACK_CHANNEL,
  PROVIDER_ACTIVITY_OPTIONS,
  type DeliveryFallbackActivities,
  type DeliveryFallbackInput,
  type DeliveryFallbackOutcome,
} from './delivery-fallback.contract.js';

const { sendDelivery, recordDeliveryGaveUp } = proxyActivities<DeliveryFallbackActivities>(PROVIDER_ACTIVITY_OPTIONS);

/**
 * Sends the fallback planned for a delivery that failed for good, on the default task queue (once the
 * recipient's quiet hours are over): each row
 * through the ledger (claimed before its send, so a retry never sends it twice), retrying on its own for
 * up to a day. Returns what came of them; the ledger has each outcome.
 */
export async function deliveryFallback(input: DeliveryFallbackInput): Promise<DeliveryFallbackOutcome> {
  const outcome: DeliveryFallbackOutcome = { sent: 0, skipped: 0, failed: 0 };
  // Quiet hours: the text waits for them to end, as the campaign's own texts do.
  if (input.notBefore !== undefined && input.notBefore > Date.now()) await sleep(input.notBefore - Date.now());
  await deliverAll(
    input.deliveryIds.map((deliveryId) => ({ deliveryId, channel: FALLBACK_CHANNEL })),
    { sendDelivery, recordDeliveryGaveUp },
    (_target, result) => {
      outcome[result] += 1;
    },
  );
  return outcome;
}
