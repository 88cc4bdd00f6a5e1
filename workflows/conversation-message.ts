import { condition, patched, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import {
  conversationMessageStateQuery,
  deliverAll,
  failureReason,
  PROVIDER_ACTIVITY_OPTIONS,
  PROVIDER_ACTIVITY_OPTIONS_BEFORE_LEDGER,
  recipientReadSignal,
  type ConversationMessageInput,
  type ConversationMessageState,
  type ConversationNotificationActivities,
  type ConversationNotificationKind,
  type ProviderChannel,
} from './conversation-message.contract.js';

/** A read receipt is worth sending for this long; after that the workflow stops waiting for readers. */
const READ_RECEIPT_WINDOW_MS = 30 * 24 * 3600_000;

const { planNotifications, findUnreadRecipients, planReadNotice, planDeliveries, recordDeliveryGaveUp, recordNotificationFailure } =
  proxyLocalActivities<ConversationNotificationActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });

/** Each send retries on its own with backoff (delivery-policy.ts): a 429 or 5xx waits and tries again for up to a day. */
const { sendDelivery } = proxyActivities<ConversationNotificationActivities>(PROVIDER_ACTIVITY_OPTIONS);

/** Before the delivery ledger: one activity per notification, all at once. Kept for workflows that started then. */
const { sendNotification } = proxyActivities<ConversationNotificationActivities>(PROVIDER_ACTIVITY_OPTIONS_BEFORE_LEDGER);

/**
 * What follows one message posted in a conversation: tell each recipient it is there; if the organisation
 * asks for it, remind those who have not read it after a while, once; and if the author asked for a read
 * receipt, tell them (and whoever the organisation names) as recipients read it.
 */
export async function conversationMessage(input: ConversationMessageInput): Promise<ConversationMessageState> {
  // Sends through the delivery ledger, at most MAX_SENDS_IN_FLIGHT at a time, however many recipients.
  const deliversThroughLedger = patched('delivery-ledger');
  const plan = await planNotifications(input.messageId);
  const unread = new Set(plan.recipients.map((recipient) => recipient.userId));
  const readers: string[] = [];
  const state: ConversationMessageState = { phase: 'notifying', unread: [], reminded: [], readNotices: 0 };
  setHandler(conversationMessageStateQuery, () => ({ ...state, unread: [...unread] }));
  setHandler(recipientReadSignal, ({ userId }) => {
    if (unread.delete(userId)) readers.push(userId);
  });

  // 1. Tell every recipient, on every channel they can receive, each send retrying on its own.
  if (deliversThroughLedger) {
    await notifyAll(
      'new_message',
      plan.recipients.map((recipient) => recipient.userId),
    );
  } else {
    await Promise.all(plan.recipients.flatMap(({ userId, channels }) => channels.map((channel) => notify(userId, channel, 'new_message'))));
  }

  // 2 and 3 run side by side: a reader's receipt goes out when they read, not once the reminder is due.
  state.phase = 'awaiting_reads';
  await Promise.all([remindUnread(), sendReadReceipts()]);
  state.phase = 'ended';
  return { ...state, unread: [...unread] };

  // 2. One reminder for whoever has still not read it; reading first cancels it.
  async function remindUnread(): Promise<void> {
    if (plan.reminderAfterMs !== null && unread.size > 0) {
      const allRead = await condition(() => unread.size === 0, plan.reminderAfterMs);
      if (!allRead) {
        // The database is the truth: a read whose signal was lost must not earn a reminder.
        const stillUnread = await findUnreadRecipients(input.messageId, [...unread]);
        state.reminded = stillUnread;
        if (deliversThroughLedger) {
          await notifyAll('unread_reminder', stillUnread);
        } else {
          const channelsOf = new Map(plan.recipients.map((recipient) => [recipient.userId, recipient.channels]));
          await Promise.all(stillUnread.flatMap((userId) => (channelsOf.get(userId) ?? []).map((channel) => notify(userId, channel, 'unread_reminder'))));
        }
      }
    }
  }

  // 3. Read receipts, as recipients read it, for as long as that is news.
  async function sendReadReceipts(): Promise<void> {
    if (plan.readReceipt) {
      const until = Date.now() + READ_RECEIPT_WINDOW_MS;
      for (;;) {
        while (readers.length > 0) {
          const readerId = readers.shift()!;
          const targets = await planReadNotice(input.messageId, readerId);
          if (deliversThroughLedger) {
            await notifyAll(
              'read_receipt',
              targets.map((target) => target.userId),
              readerId,
            );
          } else {
            await Promise.all(targets.flatMap(({ userId, channels }) => channels.map((channel) => notify(userId, channel, 'read_receipt', readerId))));
          }
          state.readNotices += 1;
        }
        if (unread.size === 0 || Date.now() >= until) break;
        if (!(await condition(() => readers.length > 0, until - Date.now()))) break;
      }
    }
  }

  async function notifyAll(kind: ConversationNotificationKind, userIds: string[], aboutUserId?: string): Promise<void> {
    if (userIds.length === 0) return;
    const targets = await planDeliveries({ messageId: input.messageId, kind, userIds, ...(aboutUserId ? { aboutUserId } : {}) });
    await deliverAll(targets, { sendDelivery, recordDeliveryGaveUp });
  }

  /** Before the delivery ledger. */
  async function notify(userId: string, channel: ProviderChannel, kind: ConversationNotificationKind, aboutUserId?: string): Promise<void> {
    try {
      await sendNotification({ messageId: input.messageId, userId, channel, kind, aboutUserId: aboutUserId ?? userId });
    } catch (error) {
      await recordNotificationFailure({ messageId: input.messageId, userId, channel, kind, aboutUserId: aboutUserId ?? userId }, failureReason(error));
    }
  }
}
