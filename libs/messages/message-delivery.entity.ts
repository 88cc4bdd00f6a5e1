import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Channel, CHANNELS } from '../channels/channel.js';
import { Message } from './message.entity.js';

export const DELIVERY_STATUSES = ['pending', 'sent', 'failed', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One row per message and channel: what makes a retried activity deliver at most once. */
@Entity({ tableName: 'message_delivery' })
@Unique({ properties: ['message', 'channel'] })
export class MessageDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Message, { fieldName: 'message_id', deleteRule: 'cascade' })
  message: Message;

  @Enum({ items: () => CHANNELS, type: 'text' })
  channel: Channel;

  @Enum({ items: () => DELIVERY_STATUSES, type: 'text' })
  status: DeliveryStatus = 'pending';

  @Property({ type: 'integer' })
  attempts: number = 0;

  /** The provider's reason, never message content. */
  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'text', nullable: true })
  providerMessageId: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  sentAt: Date | null = null;
}
