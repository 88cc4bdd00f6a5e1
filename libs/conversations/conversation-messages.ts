import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AttachmentsService, toAttachmentView, type AttachmentView } from '../attachments/attachments.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import type { OutboxCommand } from '../outbox/workflow-outbox.js';
import { User, type Role } from '../users/user.entity.js';
import { firstResponseSignal, workflowIdForChatRequest } from '../../workflows/chat-request.contract.js';
import { conversationMessageWorkflowStart } from './conversation-message-workflow.js';
import { authorKindOf, isStaff, visibleMessageSql } from './conversation-visibility.js';
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
  /** The caller has read every message they may see up to this sequence. */
  lastReadSequence: number;
  participants: Array<{ userId: string; name: string; role: Role; kind: RecipientKind; addedAt: Date }>;
  /** The newest page of messages the caller may see, oldest first. */
  messages: ConversationMessageView[];
  /** For `GET /v1/conversations/:id/messages?before=`: the page before these, or null when these are all. */
  olderMessagesCursor: string | null;
}

export interface ConversationMessageView {
  id: string;
  /** Its place in the conversation: messages are shown in this order, and read up to one (`POST …/read { throughSequence }`). */
  sequence: number;
  author: { id: string; name: string };
  /** A notice from Tidings itself ("Dana Lee is covering for Sam Park…"), shown apart from what people wrote. */
  system: boolean;
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

/** A message just stored, with what its author's view of it needs. */
export interface AppendedMessage {
  message: ConversationMessage;
  authorName: string;
  attachments: AttachmentView[];
}

export type AppendOutcome = { outcome: 'appended'; appended: AppendedMessage } | { outcome: 'not_a_participant' } | { outcome: 'not_open' };

/** Storing a conversation's messages and keeping every participant's inbox row in step with them. */
@Injectable()
export class ConversationMessages {
  constructor(private readonly attachments: AttachmentsService) {}

  /**
   * Stores the author's message in a conversation they are in and that is open, brings it to the top of
   * the inbox of everyone who may see it, audits it and has its workflow started after commit. Otherwise
   * writes nothing and says why: the author is not (or no longer) in it, or it is not open.
   *
   * Membership, message, inbox rows, audit event and outbox entry are one statement: one round trip,
   * atomic on its own, which is what lets a reply be accepted without a transaction around it.
   * Attachments, when there are any, are claimed after it in the caller's transaction.
   */
  async append(em: EntityManager, author: AuthUser, conversationId: string, content: NewMessage): Promise<AppendOutcome> {
    const message = Object.assign(new ConversationMessage(), {
      conversation: em.getReference(Conversation, conversationId),
      author: em.getReference(User, author.id),
      bodyHtml: content.html,
      bodyText: content.text,
      readReceipt: content.readReceipt,
      source: content.source,
    });
    const start: OutboxCommand = {
      kind: 'start',
      ...conversationMessageWorkflowStart({ organizationId: author.organizationId, conversationId, messageId: message.id }),
    };
    const [row] = await em.execute<Array<{ author_name: string; kind: RecipientKind | null; status: ConversationStatus | null; seq: string | null }>>(
      `with membership as (
         select p.kind, c.status from conversation_participant p join conversation c on c.id = p.conversation_id
          where p.conversation_id = ? and p.user_id = ? and p.left_at is null and c.organization_id = ?
       ), stored as (
         insert into conversation_message (id, conversation_id, author_id, author_kind, body_html, body_text, read_receipt, source, created_at)
         select ?, ?, ?, case when ? then 'staff' else kind end, ?, ?, ?, ?, ? from membership where status = 'open'
         returning *
       ), inbox as (
         update conversation_participant p set last_activity_at = m.created_at, last_message_id = m.id
           from app_user u, stored m
          where p.conversation_id = m.conversation_id and u.id = p.user_id and p.left_at is null
            and ${visibleMessageSql('m', 'p', 'u')}
       ), audited as (
         insert into audit_event (id, organization_id, actor_id, action, subject_type, subject_id, details, created_at)
         select ?, ?, ?, 'conversation.message_posted', 'conversation', conversation_id, ?::jsonb, ? from stored
       ), started as (
         insert into workflow_outbox (workflow_id, command) select ?, ?::jsonb from stored
       ), responded as (
         -- A care manager's first message in a chat stops the SLA clock of the open request it answers.
         update chat_request r set first_response_at = m.created_at from stored m
          where m.author_kind = 'staff' and r.chat_id = m.conversation_id and r.status = 'open' and r.first_response_at is null
         returning r.id, m.created_at
       ), response_signalled as (
         insert into workflow_outbox (workflow_id, command)
         select ? || id, jsonb_build_object('kind', 'signal', 'workflowId', ? || id, 'signal', ?::text,
                'args', jsonb_build_array(jsonb_build_object('at', (extract(epoch from created_at) * 1000)::bigint, 'byUserId', ?::text)))
           from responded
       )
       select (select name from app_user where id = ?) as author_name, (select kind from membership) as kind, (select status from membership) as status,
              (select seq from stored) as seq`,
      [
        conversationId,
        author.id,
        author.organizationId,
        message.id,
        conversationId,
        author.id,
        isStaff(author.role),
        message.bodyHtml,
        message.bodyText,
        message.readReceipt,
        message.source,
        message.createdAt,
        crypto.randomUUID(),
        author.organizationId,
        author.id,
        JSON.stringify({ messageId: message.id, source: content.source }),
        message.createdAt,
        start.workflowId,
        JSON.stringify(start),
        workflowIdForChatRequest(''),
        workflowIdForChatRequest(''),
        firstResponseSignal.name,
        author.id,
        author.id,
      ],
    );
    if (row.kind === null) return { outcome: 'not_a_participant' };
    if (row.status !== 'open') return { outcome: 'not_open' };
    message.authorKind = authorKindOf(author.role, row.kind);
    message.seq = Number(row.seq);
    const attachments = await this.attachments.claimForMessage(author.organizationId, author.id, content.attachmentIds, message.id, em);
    return { outcome: 'appended', appended: { message, authorName: row.author_name, attachments: attachments.map(toAttachmentView) } };
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
            order by m.seq desc limit 1
         ) latest on true
        where p.conversation_id = ? and u.id = p.user_id and p.user_id in (${userIds.map(() => '?').join(', ')})`,
      [conversationId, conversationId, ...userIds],
    );
  }

  /** A message just posted by the caller: nobody has read it yet. */
  justPosted({ message, authorName, attachments }: AppendedMessage): ConversationMessageView {
    return toMessageView(message, { id: message.author.id, name: authorName }, attachments, message.readReceipt ? [] : undefined);
  }
}

/** `receipts` only for the message's author, when they asked for a read receipt. */
export function toMessageView(
  message: ConversationMessage,
  author: Pick<User, 'id' | 'name'>,
  attachments: AttachmentView[],
  receipts?: ConversationMessageReceipt[],
): ConversationMessageView {
  return {
    id: message.id,
    sequence: Number(message.seq),
    author: { id: author.id, name: author.name },
    system: message.authorKind === 'system',
    bodyHtml: message.bodyHtml,
    bodyText: message.bodyText,
    source: message.source,
    createdAt: message.createdAt,
    attachments,
    readReceipt: message.readReceipt,
    ...(receipts ? { readBy: receipts.map((r) => ({ userId: r.user.id, name: r.user.name, readAt: r.readAt })) } : {}),
  };
}
