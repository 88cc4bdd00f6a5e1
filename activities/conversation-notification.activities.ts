import type { ConversationNotificationActivities, DeliveryActivities } from '../workflows/conversation-message.contract.js';
import type { ConversationNotificationsService } from '../libs/conversations/conversation-notifications.service.js';
import { toActivityFailure } from './delivery-failure.js';

/** Runs each call in its own unit of work, as an HTTP request would. */
export type ConversationUnitOfWork = <T>(work: (service: ConversationNotificationsService) => Promise<T>) => Promise<T>;

/** Thin adapters from Temporal to the conversation notifications service. */
export function createConversationNotificationActivities(
  inUnitOfWork: ConversationUnitOfWork,
): Omit<ConversationNotificationActivities, keyof DeliveryActivities> {
  return {
    // The relay starts a workflow only after its message is committed: no message, nobody to notify.
    planNotifications: (messageId) =>
      inUnitOfWork(async (service) => (await service.plan(messageId)) ?? { recipients: [], reminderAfterMs: null, readReceipt: false }),
    findUnreadRecipients: (messageId, userIds) => inUnitOfWork((service) => service.unreadRecipients(messageId, userIds)),
    planReadNotice: (messageId, readerId) => inUnitOfWork((service) => service.planReadNotice(messageId, readerId)),
    planDeliveries: (planned) => inUnitOfWork((service) => service.planDeliveries(planned)),
    sendNotification: (key) =>
      inUnitOfWork(async (service) => {
        try {
          return await service.send(key);
        } catch (error) {
          throw toActivityFailure(error);
        }
      }),
    recordNotificationFailure: (key, reason) => inUnitOfWork((service) => service.recordFailure(key, reason)),
  };
}
