import type { ConversationNotificationsService, NotificationKey, NotificationPlan } from '../libs/conversations/conversation-notifications.service.js';
import { retryUntilCommitted } from './awaiting-commit.js';
import { toActivityFailure } from './delivery-failure.js';

/** Runs each call in its own unit of work, as an HTTP request would. */
export type ConversationUnitOfWork = <T>(work: (service: ConversationNotificationsService) => Promise<T>) => Promise<T>;

/** Thin adapters from Temporal to the conversation notifications service. */
export function createConversationNotificationActivities(inUnitOfWork: ConversationUnitOfWork) {
  return {
    planNotifications: (messageId: string): Promise<NotificationPlan> =>
      inUnitOfWork(async (service) => {
        const plan = await service.plan(messageId);
        if (plan) return plan;
        retryUntilCommitted(`conversation message ${messageId}`);
        return { recipients: [], reminderAfterMs: null, readReceipt: false };
      }),
    findUnreadRecipients: (messageId: string, userIds: string[]) => inUnitOfWork((service) => service.unreadRecipients(messageId, userIds)),
    planReadNotice: (messageId: string, readerId: string) => inUnitOfWork((service) => service.planReadNotice(messageId, readerId)),
    sendNotification: (key: NotificationKey) =>
      inUnitOfWork(async (service) => {
        try {
          return await service.send(key);
        } catch (error) {
          throw toActivityFailure(error);
        }
      }),
    recordNotificationFailure: (key: NotificationKey, reason: string) => inUnitOfWork((service) => service.recordFailure(key, reason)),
  };
}

export type ConversationNotificationActivities = ReturnType<typeof createConversationNotificationActivities>;
