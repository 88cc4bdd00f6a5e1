import { MockActivityEnvironment } from '@temporalio/testing';
import { createConversationNotificationActivities } from '../../activities/conversation-notification.activities.js';
import { createMessageDeliveryActivities } from '../../activities/message-delivery.activities.js';
import type { ConversationNotificationsService } from '../../libs/conversations/conversation-notifications.service.js';
import type { MessageDeliveryService } from '../../libs/messages/message-delivery.service.js';

/**
 * A workflow may start before the transaction that stored its row commits. Its first step must then wait
 * for the row rather than conclude at once that there is nothing to deliver — but not forever.
 */
describe('first steps wait for the transaction that started them', () => {
  const missingMessage = { claim: async () => ({ outcome: 'missing' }) } as unknown as MessageDeliveryService;
  const missingConversationMessage = { plan: async () => null } as unknown as ConversationNotificationsService;
  const claimDelivery = createMessageDeliveryActivities((work) => work(missingMessage)).claimDelivery;
  const planNotifications = createConversationNotificationActivities((work) => work(missingConversationMessage)).planNotifications;

  test('a scheduled message not stored yet is retried, and taken as gone only after several attempts', async () => {
    await expect(new MockActivityEnvironment({ attempt: 1 }).run(claimDelivery, 'm-1')).rejects.toMatchObject({ type: 'NotYetCommitted', nonRetryable: false });
    await expect(new MockActivityEnvironment({ attempt: 5 }).run(claimDelivery, 'm-1')).rejects.toMatchObject({ type: 'NotYetCommitted' });
    await expect(new MockActivityEnvironment({ attempt: 6 }).run(claimDelivery, 'm-1')).resolves.toEqual({ outcome: 'gone' });
  });

  test('a conversation message not stored yet is retried, and notifies nobody only after several attempts', async () => {
    await expect(new MockActivityEnvironment({ attempt: 1 }).run(planNotifications, 'm-2')).rejects.toMatchObject({ type: 'NotYetCommitted' });
    await expect(new MockActivityEnvironment({ attempt: 6 }).run(planNotifications, 'm-2')).resolves.toEqual({ recipients: [], reminderAfterMs: null, readReceipt: false });
  });
});
