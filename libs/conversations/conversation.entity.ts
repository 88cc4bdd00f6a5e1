import { BigIntType, PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { ClientAccount } from '../client-accounts/client-account.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

export const CONVERSATION_STATUSES = ['open', 'closed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

/** How someone was added: contacts in CC are hidden from every other contact (BCC). */
export const RECIPIENT_KINDS = ['to', 'cc'] as const;
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];

/**
 * Who wrote a message, as the BCC rule needs it: staff are seen by everyone; a contact's message is seen
 * by staff, by the contact, and — only when the contact was in To — by the other contacts in To. A
 * `system` message (e.g. who covers a chat) is Tidings speaking, seen by everyone.
 */
export const AUTHOR_KINDS = ['staff', 'to', 'cc', 'system'] as const;
export type AuthorKind = (typeof AUTHOR_KINDS)[number];

/** A `thread` is a secure conversation anyone starts; a `chat` is a member's with their care manager in a program. */
export const CONVERSATION_KINDS = ['thread', 'chat'] as const;
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];

@Entity({ tableName: 'conversation' })
@Index({ properties: ['organization', 'clientAccount'] })
@Index({
  name: 'conversation_chat_unique',
  expression: `create unique index "conversation_chat_unique" on "conversation" ("chat_member_id", "chat_care_manager_id", "program_id") where "kind" = 'chat'`,
})
export class Conversation {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @ManyToOne(() => ClientAccount, { fieldName: 'client_account_id', nullable: true })
  clientAccount: ClientAccount | null = null;

  @Property({ type: 'text' })
  subject: string;

  @Enum({ items: () => CONVERSATION_KINDS, type: 'text', default: 'thread' })
  kind: ConversationKind = 'thread';

  /** A chat's program, member and care manager: one chat for each of those three. */
  @Property({ type: 'uuid', nullable: true })
  programId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  chatMemberId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  chatCareManagerId: string | null = null;

  @Enum({ items: () => CONVERSATION_STATUSES, type: 'text' })
  status: ConversationStatus = 'open';

  @ManyToOne(() => User, { fieldName: 'created_by_id' })
  createdBy: User;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  closedAt: Date | null = null;

  @ManyToOne(() => User, { fieldName: 'closed_by_id', nullable: true })
  closedBy: User | null = null;
}

/**
 * A user's place in a conversation. The row also carries what their inbox shows — their latest visible
 * message and when it came — so the list is one indexed read, whatever the BCC rule hides from them.
 */
@Entity({ tableName: 'conversation_participant' })
@Index({
  name: 'conversation_participant_inbox_index',
  expression:
    'create index "conversation_participant_inbox_index" on "conversation_participant" ("user_id", "last_activity_at" desc, "conversation_id" desc) where "left_at" is null',
})
export class ConversationParticipant {
  [PrimaryKeyProp]?: ['conversation', 'user'];

  @ManyToOne(() => Conversation, { primary: true, fieldName: 'conversation_id', deleteRule: 'cascade' })
  conversation: Conversation;

  @ManyToOne(() => User, { primary: true, fieldName: 'user_id' })
  user: User;

  @Enum({ items: () => RECIPIENT_KINDS, type: 'text' })
  kind: RecipientKind;

  @ManyToOne(() => User, { fieldName: 'added_by_id' })
  addedBy: User;

  @Property({ type: 'timestamptz' })
  addedAt: Date = new Date();

  /** Set when they leave: the conversation is gone from their list and tells them nothing more. */
  @Property({ type: 'timestamptz', nullable: true })
  leftAt: Date | null = null;

  /** When they last marked the conversation read. */
  @Property({ type: 'timestamptz', nullable: true })
  lastReadAt: Date | null = null;

  /** Every message they may see up to this place in the conversation is read. */
  @Property({ type: new BigIntType('number'), default: 0 })
  lastReadSeq: number = 0;

  /** When their newest visible message came; orders their inbox. */
  @Property({ type: 'timestamptz' })
  lastActivityAt: Date;

  @Property({ type: 'uuid', nullable: true })
  lastMessageId: string | null = null;
}

@Entity({ tableName: 'conversation_message' })
@Index({ properties: ['conversation', 'createdAt'] })
export class ConversationMessage {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Conversation, { fieldName: 'conversation_id', deleteRule: 'cascade' })
  conversation: Conversation;

  @ManyToOne(() => User, { fieldName: 'author_id' })
  author: User;

  @Enum({ items: () => AUTHOR_KINDS, type: 'text' })
  authorKind: AuthorKind;

  /** Sanitized with the allowlist before it was stored; safe to render. */
  @Property({ type: 'text' })
  bodyHtml: string;

  @Property({ type: 'text' })
  bodyText: string;

  /** The author asked to see who has read it. */
  @Property({ type: 'boolean' })
  readReceipt: boolean = false;

  /** `email` when it came in as a reply by email. */
  @Property({ type: 'text' })
  source: 'app' | 'email' = 'app';

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  /** Its place in the conversation, numbered by the database as it is stored (a trigger): the order messages are shown and read in. */
  @Property({ type: new BigIntType('number'), persist: false })
  seq!: number;
}

/** That a recipient has read a message whose author asked for a read receipt, and when. */
@Entity({ tableName: 'conversation_message_receipt' })
export class ConversationMessageReceipt {
  [PrimaryKeyProp]?: ['message', 'user'];

  @ManyToOne(() => ConversationMessage, { primary: true, fieldName: 'message_id', deleteRule: 'cascade' })
  message: ConversationMessage;

  @ManyToOne(() => User, { primary: true, fieldName: 'user_id' })
  user: User;

  @Property({ type: 'timestamptz' })
  readAt: Date = new Date();
}
