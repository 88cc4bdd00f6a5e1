import type { Message } from './message.entity.js';

/** What staff see of a message: its schedule, its state on every channel, and the read receipt. */
export function toMessageView(message: Message) {
  return {
    id: message.id,
    status: message.status,
    recipientId: message.recipient.id,
    createdById: message.createdBy.id,
    title: message.title,
    body: message.body,
    channels: message.channels,
    deliverAt: message.deliverAt,
    dismissAt: message.dismissAt,
    deliveredAt: message.deliveredAt,
    readAt: message.readAt,
    dismissedAt: message.dismissedAt,
    cancelledAt: message.cancelledAt,
    createdAt: message.createdAt,
    workflowId: message.workflowId,
    deliveries: message.deliveries.isInitialized()
      ? message.deliveries.getItems().map((d) => ({
          channel: d.channel,
          status: d.status,
          attempts: d.attempts,
          lastError: d.lastError,
          sentAt: d.sentAt,
        }))
      : undefined,
  };
}

/** What the recipient sees in their message center. */
export function toInboxItem(message: Message) {
  return {
    id: message.id,
    title: message.title,
    body: message.body,
    deliveredAt: message.deliveredAt,
    readAt: message.readAt,
    unread: message.readAt === null,
    dismissAt: message.dismissAt,
  };
}

/** The answer to a scheduling request; a retried request with the same Idempotency-Key gets it again. */
export function toScheduledView(message: Message) {
  return {
    id: message.id,
    status: message.status,
    deliverAt: message.deliverAt,
    dismissAt: message.dismissAt,
    workflowId: message.workflowId,
  };
}
