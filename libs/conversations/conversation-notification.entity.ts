import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { PROVIDER_CHANNELS, type ProviderChannel } from '../channels/channel.js';
import { User } from '../users/user.entity.js';
import { ConversationMessage } from './conversation.entity.js';
import { CONVERSATION_NOTIFICATION_KINDS, type ConversationNotificationKind } from '../../workflows/conversation-message.contract.js';

export { CONVERSATION_NOTIFICATION_KINDS, type ConversationNotificationKind } from '../../workflows/conversation-message.contract.js';

/**
 * One notification about a conversation message to one user on one channel. The row is how a retried
 * activity knows it already went out, and what support looks at when someone says they heard nothing.
 */
@Entity({ tableName: 'conversation_notification' })
@Unique({ properties: ['message', 'user', 'channel', 'kind', 'aboutUserId'] })
export class ConversationNotification {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => ConversationMessage, { fieldName: 'message_id', deleteRule: 'cascade' })
  message: ConversationMessage;

  @ManyToOne(() => User, { fieldName: 'user_id' })
  user: User;

  @Enum({ items: () => PROVIDER_CHANNELS, type: 'text' })
  channel: ProviderChannel;

  @Enum({ items: () => CONVERSATION_NOTIFICATION_KINDS, type: 'text' })
  kind: ConversationNotificationKind;

  /** Whom it is about: the reader, for a read receipt; the recipient themself otherwise. */
  @Property({ type: 'uuid' })
  aboutUserId: string;

  @Property({ type: 'text' })
  status: 'pending' | 'sent' | 'skipped' | 'failed' = 'pending';

  @Property({ type: 'integer' })
  attempts: number = 0;

  /** Reason of the last failure or skip, with addresses masked. */
  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'text', nullable: true })
  providerMessageId: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  sentAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
