import { wrap } from '@mikro-orm/core';
import type { DeliveryWithTimeline } from '../delivery/delivery-timeline.js';
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

/**
 * What staff see of a message: its schedule, the read receipt, and each delivery with its timeline: the
 * message center (the inbox query, so delivered at its time), then every provider send from the ledger
 * (one per push subscription). A channel not yet planned is shown pending, or skipped once cancelled.
 */
export function toMessageView(message: Message, deliveries?: DeliveryWithTimeline[]) {
  const status = effectiveStatus(message);
  return {
    id: message.id,
    status,
    recipientId: message.recipient.id,
    // Where the recipient was loaded with the message (the staff list): the name to show.
    ...(wrap(message.recipient).isInitialized() ? { recipientName: message.recipient.name } : {}),
    createdById: message.createdBy.id,
    title: message.title,
    body: message.body,
    channels: message.channels,
    deliverAt: message.deliverAt,
    dismissAt: message.dismissAt,
    deliveredAt: message.deliveredAt ?? (reachedRecipient(status) ? reachedMessageCenterAt(message) : null),
    readAt: message.readAt,
    dismissedAt: message.dismissedAt ?? (status === 'dismissed' ? (message.removedAt ?? message.dismissAt) : null),
    cancelledAt: message.cancelledAt,
    removedAt: message.removedAt,
    createdAt: message.createdAt,
    workflowId: message.workflowId,
    deliveries: deliveries && message.channels.flatMap((channel) => deliveryViews(message, status, channel, deliveries)),
  };
}

/**
 * What a member sees of a message addressed to them: the staff view without the delivery internals. Each
 * delivery is only its channel, status and sentAt; provider error text (`lastError`, which quotes what a
 * provider or push service answered), attempts, timelines, push subscription ids and the workflow id are
 * for staff.
 */
export function toRecipientMessageView(message: Message, deliveries?: DeliveryWithTimeline[]) {
  const { workflowId: _workflowId, deliveries: views, ...rest } = toMessageView(message, deliveries);
  return { ...rest, deliveries: views?.map(({ channel, status, sentAt }): RecipientDeliveryView => ({ channel, status, sentAt })) };
}

export type RecipientDeliveryView = Pick<DeliveryView, 'channel' | 'status' | 'sentAt'>;

/** Every status but these comes after the delivery time, so the message center had it. */
const reachedRecipient = (status: Message['status']) => status !== 'scheduled' && status !== 'cancelled';

export interface DeliveryView {
  channel: Message['channels'][number];
  pushSubscriptionId?: string;
  status: string;
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
  timeline: DeliveryWithTimeline['timeline'];
}

function deliveryViews(message: Message, status: Message['status'], channel: Message['channels'][number], deliveries: DeliveryWithTimeline[]): DeliveryView[] {
  if (channel === 'message_center') {
    const reached = reachedRecipient(status);
    return [
      {
        channel,
        status: reached ? 'sent' : status === 'cancelled' ? 'skipped' : 'pending',
        attempts: reached ? 1 : 0,
        lastError: null,
        sentAt: reached ? reachedMessageCenterAt(message) : null,
        timeline: [],
      },
    ];
  }
  const rows = deliveries.filter((delivery) => delivery.channel === channel);
  if (rows.length === 0) {
    const cancelled = status === 'cancelled';
    return [{ channel, status: cancelled ? 'skipped' : 'pending', attempts: 0, lastError: cancelled ? 'message cancelled' : null, sentAt: null, timeline: [] }];
  }
  return rows.map((row) => ({
    channel,
    ...(row.channel === 'push' && row.target ? { pushSubscriptionId: row.target } : {}),
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    sentAt: row.sentAt,
    timeline: row.timeline,
  }));
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
export function toScheduledView(message: Pick<Message, 'id' | 'status' | 'deliverAt' | 'dismissAt' | 'removedAt' | 'workflowId'>) {
  return {
    id: message.id,
    status: effectiveStatus(message),
    deliverAt: message.deliverAt,
    dismissAt: message.dismissAt,
    workflowId: message.workflowId,
  };
}
