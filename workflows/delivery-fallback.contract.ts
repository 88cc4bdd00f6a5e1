import type { DeliveryActivities, DeliveryTarget } from './delivery-policy.js';

export { CAMPAIGN_ID, ORGANIZATION_ID } from './search-attributes.js';
export { deliverAll, PROVIDER_ACTIVITY_OPTIONS, type DeliveryActivities, type DeliveryTarget } from './delivery-policy.js';

/**
 * Everything the delivery-fallback workflow shares with the rest of Tidings: its name, id, input and
 * activities. The workflow imports nothing else of ours.
 *
 * A fallback is what is sent instead of a delivery that failed for good (today: the SMS of a campaign
 * whose email hard-bounced or was dropped). The rows are planned in the ledger, in the transaction that
 * recorded the failure, and the workflow only sends them.
 */
export const DELIVERY_FALLBACK_WORKFLOW = 'deliveryFallback';

/** One per failed delivery: the same failure heard again is the same workflow, so its fallback is sent once. */
export const workflowIdForDeliveryFallback = (failedDeliveryId: string) => `delivery-fallback-${failedDeliveryId}`;

/** The channel fallbacks go out on: `{ email: 'sms' }` is the only fallback there is. */
export const FALLBACK_CHANNEL: DeliveryTarget['channel'] = 'sms';

export interface DeliveryFallbackInput {
  /** The ledger rows to send (planned already). */
  deliveryIds: string[];
  /** The recipient's quiet hours end then (epoch ms): nothing is sent before it. */
  notBefore?: number;
}

export interface DeliveryFallbackOutcome {
  sent: number;
  skipped: number;
  failed: number;
}

/** The shared delivery activities (activities/delivery.activities.ts), which the default worker runs. */
export type DeliveryFallbackActivities = DeliveryActivities;
