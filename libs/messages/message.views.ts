import type { Message } from './message.entity.js';

/**
 * What a message's status is as its users see it. The message center is a query on the database's clock,
 * so once `deliverAt` has passed the message is delivered, and once `dismissAt` has passed it is dismissed,
 * even if its workflow has not yet recorded it.
 */
export function effectiveStatus(message: Pick<Message, 'status' | 'deliverAt' | 'dismissAt' | 'removedAt'>, now = new Date()): Message['status'] {
  if (message.status !== 'scheduled' && message.status !== 'delivered') return message.status;
  if (message.removedAt !== null || (message.dismissAt !== null && message.dismissAt <= now)) return 'dismissed';
  return message.deliverAt <= now ? 'delivered' : message.status;
}

/** When the message reached the message center: its delivery time, or its creation if it was due already. */
function reachedMessageCenterAt(message: Pick<Message, 'deliverAt' | 'createdAt'>): Date {
  return message.deliverAt > message.createdAt ? message.deliverAt : message.createdAt;
}

/** What staff see of a message: its schedule, its state on every channel, and the read receipt. */
export function toMessageView(message: Message) {
  const status = effectiveStatus(message);
  const derivedDelivery = message.status === 'scheduled' && status !== 'scheduled';
  return {
    id: message.id,
    status,
    recipientId: message.recipient.id,
    createdById: message.createdBy.id,
    title: message.title,
    body: message.body,
    channels: message.channels,
    deliverAt: message.deliverAt,
    dismissAt: message.dismissAt,
    deliveredAt: message.deliveredAt ?? (derivedDelivery ? reachedMessageCenterAt(message) : null),
    readAt: message.readAt,
    dismissedAt: message.dismissedAt ?? (status === 'dismissed' ? (message.removedAt ?? message.dismissAt) : null),
    cancelledAt: message.cancelledAt,
    removedAt: message.removedAt,
    createdAt: message.createdAt,
    workflowId: message.workflowId,
    deliveries: message.deliveries.isInitialized()
      ? message.deliveries.getItems().map((d) => {
          // The message center is filled by the query at deliverAt; the workflow's record of it may follow later.
          const inMessageCenter = derivedDelivery && d.channel === 'message_center' && d.status === 'pending';
          return {
            channel: d.channel,
            status: inMessageCenter ? 'sent' : d.status,
            attempts: d.attempts,
            lastError: d.lastError,
            sentAt: inMessageCenter ? reachedMessageCenterAt(message) : d.sentAt,
          };
        })
      : undefined,
  };
}

/** A message-center row as the inbox query selects it. */
export interface InboxRow {
  id: string;
  title: string;
  body: string;
  delivered_at: Date | string;
  read_at: Date | string | null;
  dismiss_at: Date | string | null;
  deliver_at: Date | string;
}

const asDate = (value: Date | string | null) => (value === null ? null : new Date(value));

/** What the recipient sees in their message center. */
export function toInboxItem(row: InboxRow) {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    deliveredAt: asDate(row.delivered_at),
    readAt: asDate(row.read_at),
    unread: row.read_at === null,
    dismissAt: asDate(row.dismiss_at),
  };
}

/** The answer to a scheduling request; a retried request with the same Idempotency-Key gets it again. */
export function toScheduledView(message: Message) {
  return {
    id: message.id,
    status: effectiveStatus(message),
    deliverAt: message.deliverAt,
    dismissAt: message.dismissAt,
    workflowId: message.workflowId,
  };
}
