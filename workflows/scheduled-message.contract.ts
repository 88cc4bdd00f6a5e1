import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Channel, ProviderChannel } from './channels.js';
import type { DeliveryActivities, DeliveryTarget } from './delivery-policy.js';

export { isProviderChannel, type Channel, type ProviderChannel } from './channels.js';
export {
  deliverAll,
  failureReason,
  isPermanentFailure,
  PROVIDER_ACTIVITY_OPTIONS,
  PROVIDER_ACTIVITY_OPTIONS_BEFORE_LEDGER,
  type DeliveryActivities,
  type DeliveryTarget,
} from './delivery-policy.js';

/**
 * Everything the scheduled-message workflow shares with the rest of Tidings: its name, id, input,
 * signals, query, and the activities it calls. The API, the outbox relay and the worker import this
 * file; the workflow imports nothing else of ours.
 */
export const SCHEDULED_MESSAGE_WORKFLOW = 'scheduledMessage';
export const workflowIdForMessage = (messageId: string) => `message-${messageId}`;

export interface ScheduledMessageInput {
  messageId: string;
  deliverAt: string;
  dismissAt: string | null;
  /** The message's channels (they never change). Absent from workflows started before `send-at-delivery-time`. */
  channels?: Channel[];
}

export interface ScheduledMessageState {
  phase: 'scheduled' | 'delivering' | 'in_message_center' | 'ended';
  deliverAt: string;
  dismissAt: string | null;
  readAt: string | null;
  outcome: 'delivered' | 'failed' | 'cancelled' | 'dismissed' | 'removed_by_recipient' | 'gone' | null;
  channels: Partial<Record<Channel, 'sent' | 'skipped' | 'failed'>>;
}

export interface RescheduleSignalInput {
  deliverAt?: string;
  dismissAt?: string | null;
}

export const cancelSignal = defineSignal('cancel');
export const rescheduleSignal = defineSignal<[RescheduleSignalInput]>('reschedule');
export const readSignal = defineSignal<[{ readAt: string }]>('read');
export const removedByRecipientSignal = defineSignal('removedByRecipient');
export const stateQuery = defineQuery<ScheduledMessageState>('state');

export type ClaimResult =
  /** `targets`: the provider sends the ledger planned, from claimAndPlanDelivery only. */
  | { outcome: 'claimed'; channels: Channel[]; dismissAt: string | null; targets?: DeliveryTarget[] }
  | { outcome: 'not_due'; deliverAt: string }
  | { outcome: 'gone' };

/** One channel claimed, planned and sent by one activity at the delivery time, or why nothing was sent. */
export type ChannelDeliveryResult =
  { outcome: 'claimed'; dismissAt: string | null; sent: 'sent' | 'skipped' } | { outcome: 'not_due'; deliverAt: string } | { outcome: 'gone' };

export type DismissResult = { outcome: 'dismissed' } | { outcome: 'not_due'; dismissAt: string | null } | { outcome: 'gone' };

export type ChannelOutcome = 'sent' | 'skipped';

/** What the worker runs for this workflow (activities/message-delivery.activities.ts, activities/delivery.activities.ts). */
export interface ScheduledMessageActivities extends DeliveryActivities {
  /** Records a due message as delivered; the database settles any race with a cancel or a reschedule. */
  claimDelivery(messageId: string): Promise<ClaimResult>;
  /** Writes the message's provider sends into the delivery ledger (one per push subscription); returns those to send. */
  planDelivery(messageId: string): Promise<DeliveryTarget[]>;
  /** claimDelivery and, once claimed, planDelivery: one local activity, so one activation, at the delivery time. */
  claimAndPlanDelivery(messageId: string): Promise<ClaimResult>;
  /**
   * At the delivery time, for an email or SMS send: claims the message (as claimDelivery), plans that
   * channel in the ledger and sends it, in one activity that heartbeats and retries like sendDelivery.
   */
  deliverMessageChannel(messageId: string, channel: DirectChannel): Promise<ChannelDeliveryResult>;
  /** Temporal gave up on deliverMessageChannel: that channel's open sends failed, with this reason. */
  recordChannelFailure(messageId: string, channel: Channel, reason: string): Promise<void>;
  /** Before the delivery ledger (histories without the `delivery-ledger` patch): one activity per channel. */
  sendEmail(messageId: string): Promise<ChannelOutcome>;
  sendSms(messageId: string): Promise<ChannelOutcome>;
  sendPush(messageId: string): Promise<ChannelOutcome>;
  /** Records the message failed if no channel reached the recipient; says which it was. */
  finishDelivery(messageId: string): Promise<'delivered' | 'failed'>;
  dismissMessage(messageId: string): Promise<DismissResult>;
}

/** The channels with one send per message, which one activity can claim, plan and send; push has one per device. */
export type DirectChannel = Exclude<ProviderChannel, 'push'>;

export type ProviderSendActivity = keyof Pick<ScheduledMessageActivities, 'sendEmail' | 'sendSms' | 'sendPush'>;
export const SEND_ACTIVITY: Record<ProviderChannel, ProviderSendActivity> = { email: 'sendEmail', sms: 'sendSms', push: 'sendPush' };
