import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ProviderChannel } from './channels.js';
import type { DeliveryActivities, DeliveryTarget } from './delivery-policy.js';

export type { ProviderChannel } from './channels.js';
export {
  deliverAll,
  failureReason,
  PROVIDER_ACTIVITY_OPTIONS,
  PROVIDER_ACTIVITY_OPTIONS_BEFORE_LEDGER,
  type DeliveryActivities,
  type DeliveryTarget,
} from './delivery-policy.js';

/**
 * Everything the conversation-message workflow shares with the rest of Tidings: its name, id, input,
 * signal, query, and the activities it calls. The workflow imports nothing else of ours.
 */
export const CONVERSATION_MESSAGE_WORKFLOW = 'conversationMessage';
export const workflowIdForConversationMessage = (messageId: string) => `conversation-message-${messageId}`;

export interface ConversationMessageInput {
  messageId: string;
}

export interface ConversationMessageState {
  phase: 'notifying' | 'awaiting_reads' | 'ended';
  /** Recipients who have not yet read the message, as far as the workflow has been told. */
  unread: string[];
  reminded: string[];
  readNotices: number;
}

/** The API sends it when a recipient reads the message. */
export const recipientReadSignal = defineSignal<[{ userId: string }]>('recipientRead');
export const conversationMessageStateQuery = defineQuery<ConversationMessageState>('state');

export const CONVERSATION_NOTIFICATION_KINDS = ['new_message', 'unread_reminder', 'read_receipt'] as const;
export type ConversationNotificationKind = (typeof CONVERSATION_NOTIFICATION_KINDS)[number];

export interface NotificationTarget {
  userId: string;
  channels: ProviderChannel[];
}

export interface NotificationPlan {
  recipients: NotificationTarget[];
  /** null when the organisation sends no unread reminders. */
  reminderAfterMs: number | null;
  readReceipt: boolean;
}

/** One notification: about one message, to one user, on one channel, of one kind. */
export interface NotificationKey {
  messageId: string;
  userId: string;
  channel: ProviderChannel;
  kind: ConversationNotificationKind;
  /** Whom it is about: the reader, for a read receipt; the recipient themself otherwise. */
  aboutUserId: string;
}

/** One kind of notification about a message to some of its recipients, to be written into the delivery ledger. */
export interface PlannedNotifications {
  messageId: string;
  kind: ConversationNotificationKind;
  userIds: string[];
  /** Default: the kind's channels (a read receipt goes by email and push only). */
  channels?: ProviderChannel[];
  /** For read receipts: the reader. */
  aboutUserId?: string;
}

/** What the worker runs for this workflow (activities/conversation-notification.activities.ts, activities/delivery.activities.ts). */
export interface ConversationNotificationActivities extends DeliveryActivities {
  planNotifications(messageId: string): Promise<NotificationPlan>;
  findUnreadRecipients(messageId: string, userIds: string[]): Promise<string[]>;
  planReadNotice(messageId: string, readerId: string): Promise<NotificationTarget[]>;
  /** Writes the notifications into the delivery ledger (one per push subscription); returns those to send. */
  planDeliveries(planned: PlannedNotifications): Promise<DeliveryTarget[]>;
  /** Before the delivery ledger (histories without the `delivery-ledger` patch): one activity per notification. */
  sendNotification(key: NotificationKey): Promise<'sent' | 'skipped'>;
  recordNotificationFailure(key: NotificationKey, reason: string): Promise<void>;
}
