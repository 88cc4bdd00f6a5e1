export interface DirectoryUser {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'staff' | 'member';
  status: 'active' | 'deactivated';
  phone: string | null;
  timezone: string | null;
  coordinatorId: string | null;
  createdAt: string;
}

export type Channel = 'message_center' | 'push' | 'email' | 'sms';

export const CHANNEL_LABELS: Record<Channel, string> = { message_center: 'Message center', push: 'Push', email: 'Email', sms: 'SMS' };

/** The channels in the order people choose them. */
export const CHANNEL_OPTIONS = (['message_center', 'push', 'email', 'sms'] as const).map((value) => ({ value, label: CHANNEL_LABELS[value] }));

export interface TimelineEntry {
  attempt?: number;
  startedAt?: string;
  finishedAt?: string | null;
  outcome: string;
  reason?: string | null;
  at?: string;
}

export interface DeliveryView {
  channel: Channel;
  status: string;
  attempts?: number;
  lastError?: string | null;
  sentAt: string | null;
  pushSubscriptionId?: string;
  timeline?: TimelineEntry[];
}

export interface StaffMessage {
  id: string;
  status: 'scheduled' | 'delivered' | 'read' | 'dismissed' | 'cancelled';
  recipientId: string;
  recipientName?: string;
  title: string;
  body: string;
  channels: Channel[];
  deliverAt: string;
  dismissAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  cancelledAt: string | null;
  createdAt: string;
  workflowId: string;
  deliveries?: DeliveryView[];
}
