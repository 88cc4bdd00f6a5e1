import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Every email that reached the inbound webhook and what became of it. Refused mail is kept as evidence
 * (who claimed to send it, to which address, why it was refused) but never its content.
 */
@Entity({ tableName: 'inbound_email' })
@Index({ properties: ['organizationId', 'createdAt'] })
export class InboundEmail {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  /** Known once the reply address names a conversation. */
  @Property({ type: 'uuid', nullable: true })
  organizationId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  conversationId: string | null = null;

  /** The participant the sender turned out to be, when they did. */
  @Property({ type: 'uuid', nullable: true })
  userId: string | null = null;

  @Property({ type: 'text' })
  fromAddress: string;

  @Property({ type: 'text' })
  toAddress: string;

  /**
   * The mail's Message-ID header (without its angle brackets), when it has a usable one: unique, so a post
   * SendGrid repeats is answered with what became of the first instead of being taken twice.
   */
  @Property({ type: 'text', nullable: true, unique: true })
  emailMessageId: string | null = null;

  @Property({ type: 'text' })
  status: 'accepted' | 'refused';

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  /** The conversation message it became. */
  @Property({ type: 'uuid', nullable: true })
  messageId: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
