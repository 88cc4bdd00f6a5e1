import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ProviderChannel } from './channels.js';

export type { ProviderChannel } from './channels.js';

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

/** What the worker runs for this workflow (activities/conversation-notification.activities.ts). */
export interface ConversationNotificationActivities {
  planNotifications(messageId: string): Promise<NotificationPlan>;
  findUnreadRecipients(messageId: string, userIds: string[]): Promise<string[]>;
  planReadNotice(messageId: string, readerId: string): Promise<NotificationTarget[]>;
  sendNotification(key: NotificationKey): Promise<'sent' | 'skipped'>;
  recordNotificationFailure(key: NotificationKey, reason: string): Promise<void>;
}
