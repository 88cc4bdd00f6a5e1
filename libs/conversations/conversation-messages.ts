import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AttachmentsService, type AttachmentView } from '../attachments/attachments.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { WorkflowOutbox } from '../outbox/workflow-outbox.js';
import { MAX_RICH_TEXT_BYTES, sanitizeRichText } from '../rich-text/rich-text.js';
import { User, type Role } from '../users/user.entity.js';
import { conversationMessageWorkflowStart } from './conversation-message-workflow.js';
import { authorKindOf, visibleMessageSql } from './conversation-visibility.js';
import { Conversation, ConversationMessage, ConversationMessageReceipt, type ConversationStatus, type RecipientKind } from './conversation.entity.js';

/** A conversation in its participant's list (inbox). */
export interface ConversationListItem {
  id: string;
  subject: string;
  preview: string;
  lastSender: { id: string; name: string } | null;
  lastUpdatedAt: Date;
  clientAccount: { id: string; name: string } | null;
  unreadCount: number;
  status: ConversationStatus;
}

/** A conversation as one participant may see it: the participants and messages the BCC rule shows them. */
export interface ConversationView {
  id: string;
  subject: string;
  status: ConversationStatus;
  clientAccount: { id: string; name: string } | null;
  createdAt: Date;
  closedAt: Date | null;
  lastReadAt: Date | null;
  participants: Array<{ userId: string; name: string; role: Role; kind: RecipientKind; addedAt: Date }>;
  messages: ConversationMessageView[];
}

export interface ConversationMessageView {
  id: string;
  author: { id: string; name: string };
  bodyHtml: string;
  bodyText: string;
  source: 'app' | 'email';
  createdAt: Date;
  attachments: AttachmentView[];
  readReceipt: boolean;
  /** Only for the message's author, when they asked for a read receipt. */
  readBy?: Array<{ userId: string; name: string; readAt: Date }>;
}

/** What a new message carries, from the API or from an email reply. */
export interface NewMessage {
  html: string;
  text: string;
  attachmentIds: string[];
  readReceipt: boolean;
  source: 'app' | 'email';
}

/** Storing a conversation's messages and keeping every participant's inbox row in step with them. */
@Injectable()
export class ConversationMessages {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly attachments: AttachmentsService,
  ) {}

  /** Stores a message, brings it to the top of the inbox of everyone who may see it, and has its workflow started after commit. */
  async append(em: EntityManager, author: AuthUser, conversation: Conversation, kind: RecipientKind, content: NewMessage): Promise<ConversationMessage> {
    const message = Object.assign(new ConversationMessage(), {
      conversation: em.getReference(Conversation, conversation.id),
      author: em.getReference(User, author.id),
      authorKind: authorKindOf(author.role, kind),
      bodyHtml: content.html,
      bodyText: content.text,
      readReceipt: content.readReceipt,
      source: content.source,
    });
    em.persist(message);
    await em.flush();
    await this.attachments.claimForMessage(author.organizationId, author.id, content.attachmentIds, message.id, em);
    await em.execute(
      `update conversation_participant p set last_activity_at = m.created_at, last_message_id = m.id
         from app_user u, conversation_message m
        where m.id = ? and p.conversation_id = m.conversation_id and u.id = p.user_id and p.left_at is null
          and ${visibleMessageSql('m', 'p', 'u')}`,
      [message.id],
    );
    await this.audit.recordBy(author, 'conversation.message_posted', 'conversation', conversation.id, { messageId: message.id, source: content.source });
    await WorkflowOutbox.start(
      em,
      conversationMessageWorkflowStart({ organizationId: author.organizationId, conversationId: conversation.id, messageId: message.id }),
    );
    return message;
  }

  /** Newly added participants' inbox rows point at the newest message they may see. */
  async refreshInboxRows(em: EntityManager, conversationId: string, userIds: string[]): Promise<void> {
    await em.execute(
      `update conversation_participant p
          set last_message_id = latest.id, last_activity_at = coalesce(latest.created_at, p.added_at)
         from app_user u
         left join lateral (
           select m.id, m.created_at from conversation_message m join conversation_participant vp on vp.conversation_id = m.conversation_id and vp.user_id = u.id
            where m.conversation_id = ? and ${visibleMessageSql('m', 'vp', 'u')}
            order by m.created_at desc, m.id desc limit 1
         ) latest on true
        where p.conversation_id = ? and u.id = p.user_id and p.user_id in (${userIds.map(() => '?').join(', ')})`,
      [conversationId, conversationId, ...userIds],
    );
  }

  /** A message just posted by the caller: nobody has read it yet. */
  async justPosted(message: ConversationMessage): Promise<ConversationMessageView> {
    const author = await this.em.findOneOrFail(User, message.author.id);
    const attachments = await this.attachments.findForMessages([message.id]);
    return toMessageView(message, author, attachments.get(message.id) ?? [], message.readReceipt ? [] : undefined);
  }
}

/** `receipts` only for the message's author, when they asked for a read receipt. */
export function toMessageView(
  message: ConversationMessage,
  author: User,
  attachments: AttachmentView[],
  receipts?: ConversationMessageReceipt[],
): ConversationMessageView {
  return {
    id: message.id,
    author: { id: author.id, name: author.name },
    bodyHtml: message.bodyHtml,
    bodyText: message.bodyText,
    source: message.source,
    createdAt: message.createdAt,
    attachments,
    readReceipt: message.readReceipt,
    ...(receipts ? { readBy: receipts.map((r) => ({ userId: r.user.id, name: r.user.name, readAt: r.readAt })) } : {}),
  };
}

/** A body from the API, sanitized with the allowlist: too large is a 413, nothing left once sanitized a 422. */
export function sanitizedBody(body: string): { html: string; text: string } {
  if (Buffer.byteLength(body, 'utf8') > MAX_RICH_TEXT_BYTES) throw fieldError('body', `must be at most ${MAX_RICH_TEXT_BYTES / 1024} KB`, 413);
  const sanitized = sanitizeRichText(body);
  if (!sanitized.text.trim()) throw fieldError('body', 'must contain some text once unsafe markup is removed', 422);
  return sanitized;
}
