import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Channel, CHANNELS } from '../channels/channel.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

export const MESSAGE_STATUSES = ['scheduled', 'delivered', 'cancelled', 'failed', 'dismissed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

@Entity({ tableName: 'message' })
@Index({ properties: ['organization', 'createdAt'] })
@Unique({ name: 'message_idempotency_key_unique', properties: ['createdBy', 'idempotencyKey'] })
export class Message {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @ManyToOne(() => User, { fieldName: 'recipient_id' })
  recipient: User;

  @ManyToOne(() => User, { fieldName: 'created_by_id' })
  createdBy: User;

  @Property({ type: 'text' })
  title: string;

  @Property({ type: 'text' })
  body: string;

  @Enum({ items: () => CHANNELS, array: true, type: 'text[]' })
  channels: Channel[];

  @Enum({ items: () => MESSAGE_STATUSES, type: 'text' })
  status: MessageStatus = 'scheduled';

  @Property({ type: 'timestamptz' })
  deliverAt: Date;

  @Property({ type: 'timestamptz', nullable: true })
  dismissAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  readAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  dismissedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  cancelledAt: Date | null = null;

  /** The recipient took it out of their message center. */
  @Property({ type: 'timestamptz', nullable: true })
  removedAt: Date | null = null;

  @Property({ type: 'text' })
  workflowId: string;

  /** Set for a campaign's message: one per recipient, and it leaves the message center at the campaign's `dismissAt`. */
  @Property({ type: 'uuid', nullable: true })
  campaignId: string | null = null;

  /** The client's Idempotency-Key and a hash of its request, so a retried POST returns the first answer. */
  @Property({ type: 'text', nullable: true })
  idempotencyKey: string | null = null;

  @Property({ type: 'text', nullable: true, hidden: true })
  requestHash: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
