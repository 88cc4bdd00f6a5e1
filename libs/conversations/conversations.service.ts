import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { recipientReadSignal, workflowIdForConversationMessage } from '../../workflows/conversation-message.contract.js';
import { AttachmentsService, type AttachmentView } from '../attachments/attachments.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CannedResponse } from '../canned-responses/canned-response.entity.js';
import { ClientAccount } from '../client-accounts/client-account.entity.js';
import { ClientAccountsService } from '../client-accounts/client-accounts.service.js';
import { fieldError } from '../http/api-error.filter.js';
import { decodeCursor, encodeCursor, type Page } from '../http/pagination.js';
import { Organization } from '../organizations/organization.entity.js';
import { MAX_RICH_TEXT_BYTES, previewOf, sanitizeRichText } from '../rich-text/rich-text.js';
import { WorkflowOutbox } from '../outbox/workflow-outbox.js';
import { User } from '../users/user.entity.js';
import { ContactMessagingRules } from './contact-messaging-rules.js';
import { conversationMessageWorkflowStart } from './conversation-message-workflow.js';
import { authorKindOf, canSeeMessage, canSeeParticipant, isStaff, visibleMessageSql, type Viewer } from './conversation-visibility.js';
import { AddParticipantsDto, ListConversationsQuery, PostMessageDto, StartConversationDto } from './conversation.dto.js';
import {
  Conversation,
  ConversationMessage,
  ConversationMessageReceipt,
  ConversationParticipant,
  type ConversationStatus,
  type RecipientKind,
} from './conversation.entity.js';

/** The newest messages a conversation shows; older ones stay stored but are not returned. */
const MAX_MESSAGES_SHOWN = 500;

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
interface NewMessage {
  html: string;
  text: string;
  attachmentIds: string[];
  readReceipt: boolean;
  source: 'app' | 'email';
}

/** A caller's own place in a conversation they are still in. */
interface Membership {
  conversation: Conversation;
  participant: ConversationParticipant;
  viewer: Viewer;
}

@Injectable()
export class ConversationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly attachments: AttachmentsService,
    private readonly clientAccounts: ClientAccountsService,
    private readonly contactRules: ContactMessagingRules,
  ) {}

  async start(caller: AuthUser, dto: StartConversationDto) {
    const content = await this.startingContent(caller, dto);
    const recipients = await this.resolveRecipients(caller.organizationId, dto.to, dto.cc ?? [], [caller.id]);
    if (recipients.length === 0) throw fieldError('to', 'must name someone other than yourself', 422);
    const clientAccount = dto.clientAccountId ? await this.checkClientAccount(caller, dto.clientAccountId, recipients) : null;
    await this.contactRules.assertMayMessage(caller, recipients);

    const conversation = Object.assign(new Conversation(), {
      organization: this.em.getReference(Organization, caller.organizationId),
      clientAccount,
      subject: dto.subject,
      createdBy: this.em.getReference(User, caller.id),
    });
    const message = await this.em.transactional(async (em) => {
      em.persist(conversation);
      const now = conversation.createdAt;
      const everyone = [{ user: { id: caller.id }, kind: 'to' as RecipientKind }, ...recipients];
      for (const { user, kind } of everyone) {
        em.persist(
          Object.assign(new ConversationParticipant(), {
            conversation,
            user: em.getReference(User, user.id),
            kind,
            addedBy: em.getReference(User, caller.id),
            addedAt: now,
            lastActivityAt: now,
          }),
        );
      }
      await em.flush();
      await this.audit.recordBy(caller, 'conversation.started', 'conversation', conversation.id, {
        to: recipients.filter((r) => r.kind === 'to').map((r) => r.user.id),
        cc: recipients.filter((r) => r.kind === 'cc').map((r) => r.user.id),
        clientAccountId: clientAccount?.id ?? null,
      });
      return this.append(em, caller, conversation, 'to', content);
    });
    return { ...(await this.get(caller, conversation.id, { audit: false })), firstMessageId: message.id };
  }

  async list(caller: AuthUser, query: ListConversationsQuery): Promise<Page<ConversationListItem>> {
    const params: unknown[] = [caller.id, caller.organizationId, query.folder === 'active' ? 'open' : 'closed'];
    let filters = '';
    if (query.clientAccountId) {
      filters += ' and c.client_account_id = ?';
      params.push(query.clientAccountId);
    }
    const after = decodeCursor(query.cursor);
    if (after) {
      filters += ' and (p.last_activity_at, p.conversation_id) < (?, ?)';
      params.push(after.at, after.id);
    }
    params.push(query.limit + 1);
    const rows = await this.em.execute<
      Array<{
        id: string;
        subject: string;
        status: ConversationStatus;
        last_activity_at: Date;
        client_account_id: string | null;
        client_account_name: string | null;
        body_text: string | null;
        author_id: string | null;
        author_name: string | null;
        unread_count: string;
      }>
    >(
      `select c.id, c.subject, c.status, p.last_activity_at, c.client_account_id, ca.name as client_account_name,
              m.body_text, m.author_id, a.name as author_name,
              (select count(*) from conversation_message um
                where um.conversation_id = p.conversation_id and um.author_id <> p.user_id
                  and um.created_at > coalesce(p.last_read_at, '-infinity'::timestamptz)
                  and ${visibleMessageSql('um', 'p', 'u')}) as unread_count
         from conversation_participant p
         join app_user u on u.id = p.user_id
         join conversation c on c.id = p.conversation_id
         left join client_account ca on ca.id = c.client_account_id
         left join conversation_message m on m.id = p.last_message_id
         left join app_user a on a.id = m.author_id
        where p.user_id = ? and p.left_at is null and c.organization_id = ? and c.status = ?${filters}
        order by p.last_activity_at desc, p.conversation_id desc
        limit ?`,
      params,
    );
    const more = rows.length > query.limit;
    const items = rows.slice(0, query.limit).map((row): ConversationListItem => ({
      id: row.id,
      subject: row.subject,
      preview: previewOf(row.body_text ?? ''),
      lastSender: row.author_id ? { id: row.author_id, name: row.author_name! } : null,
      lastUpdatedAt: new Date(row.last_activity_at),
      clientAccount: row.client_account_id ? { id: row.client_account_id, name: row.client_account_name! } : null,
      unreadCount: Number(row.unread_count),
      status: row.status,
    }));
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? encodeCursor(last.lastUpdatedAt, last.id) : null };
  }

  /** The conversation as the caller may see it; opening it is recorded in the audit trail. */
  async get(caller: AuthUser, id: string, options: { audit: boolean } = { audit: true }) {
    const { conversation, participant, viewer } = await this.membership(caller, id);
    const participants = await this.em.find(
      ConversationParticipant,
      { conversation: id, leftAt: null },
      { populate: ['user'], orderBy: { addedAt: 'asc', user: 'asc' } },
    );
    const newest = await this.em.find(
      ConversationMessage,
      { conversation: id },
      { populate: ['author'], orderBy: { createdAt: 'desc', id: 'desc' }, limit: MAX_MESSAGES_SHOWN },
    );
    const messages = newest.reverse().filter((m) => canSeeMessage(viewer, { authorId: m.author.id, authorKind: m.authorKind }));
    const attachments = await this.attachments.findForMessages(messages.map((m) => m.id));
    const mine = messages.filter((m) => m.author.id === caller.id && m.readReceipt).map((m) => m.id);
    const receipts = mine.length
      ? await this.em.find(ConversationMessageReceipt, { message: { $in: mine } }, { populate: ['user'], orderBy: { readAt: 'asc' } })
      : [];
    if (options.audit) await this.audit.recordBy(caller, 'conversation.viewed', 'conversation', id);
    const clientAccount = conversation.clientAccount ? await this.em.findOne(ClientAccount, conversation.clientAccount.id) : null;
    return {
      id: conversation.id,
      subject: conversation.subject,
      status: conversation.status,
      clientAccount: clientAccount ? { id: clientAccount.id, name: clientAccount.name } : null,
      createdAt: conversation.createdAt,
      closedAt: conversation.closedAt,
      lastReadAt: participant.lastReadAt,
      participants: participants
        .filter((p) => canSeeParticipant(viewer, { userId: p.user.id, role: p.user.role, kind: p.kind }))
        .map((p) => ({ userId: p.user.id, name: p.user.name, role: p.user.role, kind: p.kind, addedAt: p.addedAt })),
      messages: messages.map((m) =>
        toMessageView(m, m.author, attachments.get(m.id) ?? [], mine.includes(m.id) ? receipts.filter((r) => r.message.id === m.id) : undefined),
      ),
    };
  }

  async reply(caller: AuthUser, id: string, dto: PostMessageDto): Promise<ConversationMessageView> {
    if (dto.body === undefined) throw fieldError('body', 'is required', 422);
    const content = { ...sanitizedBody(dto.body), attachmentIds: dto.attachmentIds ?? [], readReceipt: dto.readReceipt ?? false, source: 'app' as const };
    const { conversation, participant } = await this.membership(caller, id);
    const message = await this.em.transactional(async (em) => {
      await this.reopenForReply(em, caller, conversation, 'reply');
      return this.append(em, caller, conversation, participant.kind, content);
    });
    return this.messageView(message);
  }

  /** Appends a reply that came in by email, as its verified sender; the same rules as the API apply. */
  async replyByEmail(sender: AuthUser, conversationId: string, content: { html: string; text: string; attachmentIds: string[] }): Promise<ConversationMessage> {
    const { conversation, participant } = await this.membership(sender, conversationId);
    return this.em.transactional(async (em) => {
      await this.reopenForReply(em, sender, conversation, 'email reply');
      return this.append(em, sender, conversation, participant.kind, { ...content, readReceipt: false, source: 'email' });
    });
  }

  async addParticipants(caller: AuthUser, id: string, dto: AddParticipantsDto) {
    if (!dto.to?.length && !dto.cc?.length) throw fieldError('to', 'name at least one recipient in to or cc', 422);
    const { conversation } = await this.membership(caller, id);
    if (conversation.status === 'closed') throw new ConflictException('the conversation is closed; it takes no new recipients');
    const current = await this.em.find(ConversationParticipant, { conversation: id, leftAt: null });
    // The contact rules judge everyone named, those already here too: were people already in the conversation
    // skipped first, a contact could tell a blind-copied contact (a quiet no-op) from anyone else (a 403).
    const named = await this.resolveRecipients(caller.organizationId, dto.to ?? [], dto.cc ?? [], [caller.id]);
    await this.contactRules.assertMayMessage(caller, named);
    const present = new Set(current.map((p) => p.user.id));
    const recipients = named.filter(({ user }) => !present.has(user.id));
    if (conversation.clientAccount) await this.checkClientAccount(caller, conversation.clientAccount.id, recipients);
    if (recipients.length > 0) {
      await this.em.transactional(async (em) => {
        const now = new Date();
        for (const { user, kind } of recipients) {
          // Someone who left and is added again comes back as newly added.
          await em.execute(
            `insert into conversation_participant (conversation_id, user_id, kind, added_by_id, added_at, last_activity_at)
             values (?, ?, ?, ?, ?, ?)
             on conflict (conversation_id, user_id) do update
               set kind = excluded.kind, added_by_id = excluded.added_by_id, added_at = excluded.added_at,
                   left_at = null, last_read_at = null, last_activity_at = excluded.last_activity_at, last_message_id = null`,
            [id, user.id, kind, caller.id, now, now],
          );
        }
        await this.refreshInboxRows(
          em,
          id,
          recipients.map((r) => r.user.id),
        );
        await this.audit.recordBy(caller, 'conversation.participants_added', 'conversation', id, {
          to: recipients.filter((r) => r.kind === 'to').map((r) => r.user.id),
          cc: recipients.filter((r) => r.kind === 'cc').map((r) => r.user.id),
        });
      });
    }
    return this.get(caller, id, { audit: false });
  }

  /**
   * Marks everything the caller may see as read, records receipts for senders who asked, and tells the
   * messages' workflows so pending reminders are cancelled and read receipts go out.
   */
  async markRead(caller: AuthUser, id: string) {
    const { participant, conversation } = await this.membership(caller, id);
    const newlyRead = await this.em
      .execute<Array<{ id: string; created_at: Date; read_receipt: boolean }>>(
        `select m.id, m.created_at, m.read_receipt from conversation_message m
         join conversation_participant p on p.conversation_id = m.conversation_id and p.user_id = ?
         join app_user u on u.id = p.user_id
        where m.conversation_id = ? and m.author_id <> p.user_id
          and m.created_at > coalesce(p.last_read_at, '-infinity'::timestamptz)
          and ${visibleMessageSql('m', 'p', 'u')}
        order by m.created_at`,
        [caller.id, id],
      )
      .then((rows) => rows.map((row) => ({ ...row, created_at: new Date(row.created_at) })));
    const readAt = new Date();
    if (newlyRead.length > 0) {
      const upTo = newlyRead[newlyRead.length - 1].created_at;
      await this.em.transactional(async (em) => {
        await em.nativeUpdate(
          ConversationParticipant,
          { conversation: id, user: caller.id, $or: [{ lastReadAt: null }, { lastReadAt: { $lt: upTo } }] },
          { lastReadAt: upTo },
        );
        const receipts = newlyRead.filter((m) => m.read_receipt);
        if (receipts.length) {
          await em
            .createQueryBuilder(ConversationMessageReceipt)
            .insert(receipts.map((m) => ({ message: m.id, user: caller.id, readAt })))
            .onConflict(['message', 'user'])
            .ignore()
            .execute('run');
        }
        await this.audit.recordBy(caller, 'conversation.read', 'conversation', id, { messageIds: newlyRead.map((m) => m.id) });
        // Only workflows that may still be waiting: a receipt was asked for, or a reminder is pending.
        const { unreadReminderMinutes } = await em.findOneOrFail(Organization, conversation.organization.id, { fields: ['unreadReminderMinutes'] });
        const remindersSince = readAt.getTime() - unreadReminderMinutes * 60_000;
        const waiting = newlyRead.filter((m) => m.read_receipt || (unreadReminderMinutes > 0 && m.created_at.getTime() > remindersSince));
        await WorkflowOutbox.enqueue(
          em,
          ...waiting.map((m) => ({
            kind: 'signal' as const,
            workflowId: workflowIdForConversationMessage(m.id),
            signal: recipientReadSignal.name,
            args: [{ userId: caller.id }],
          })),
        );
      });
      participant.lastReadAt = upTo;
    }
    return { conversationId: id, lastReadAt: participant.lastReadAt, unreadCount: 0 };
  }

  /** The caller leaves: the conversation disappears from their list and tells them nothing more. */
  async leave(caller: AuthUser, id: string): Promise<void> {
    await this.membership(caller, id);
    await this.em.transactional(async (em) => {
      await em.nativeUpdate(ConversationParticipant, { conversation: id, user: caller.id, leftAt: null }, { leftAt: new Date() });
      await this.audit.recordBy(caller, 'conversation.left', 'conversation', id);
    });
  }

  async close(caller: AuthUser, id: string) {
    const { conversation } = await this.membership(caller, id);
    if (conversation.status === 'open') {
      await this.em.transactional(async (em) => {
        const closed = await em.nativeUpdate(Conversation, { id, status: 'open' }, { status: 'closed', closedAt: new Date(), closedBy: caller.id });
        if (closed) await this.audit.recordBy(caller, 'conversation.closed', 'conversation', id);
      });
    }
    return this.get(caller, id, { audit: false });
  }

  async reopen(caller: AuthUser, id: string) {
    const { conversation } = await this.membership(caller, id);
    await this.em.transactional((em) => this.reopenForReply(em, caller, conversation, 'reopen'));
    return this.get(caller, id, { audit: false });
  }

  // ——— helpers ———

  /** The caller's membership; another organisation's conversation, or one they are not (or no longer) in, is not found. */
  private async membership(caller: AuthUser, id: string): Promise<Membership> {
    const participant = await this.em.findOne(
      ConversationParticipant,
      { conversation: { id, organization: caller.organizationId }, user: caller.id, leftAt: null },
      { populate: ['conversation'] },
    );
    if (!participant) throw new NotFoundException('conversation not found');
    return { conversation: participant.conversation, participant, viewer: { userId: caller.id, role: caller.role, kind: participant.kind } };
  }

  /** Stores a message, brings it to the top of the inbox of everyone who may see it, and has its workflow started after commit. */
  private async append(
    em: EntityManager,
    author: AuthUser,
    conversation: Conversation,
    kind: RecipientKind,
    content: NewMessage,
  ): Promise<ConversationMessage> {
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

  /**
   * A closed conversation takes no replies. Where the organisation lets contacts reopen, a contact's reply
   * or anyone's explicit reopen brings it back; otherwise the answer is a 409 naming the setting.
   */
  private async reopenForReply(em: EntityManager, caller: AuthUser, conversation: Conversation, how: 'reply' | 'email reply' | 'reopen'): Promise<void> {
    if (conversation.status === 'open') return;
    const { allowContactsToReopen } = await em.findOneOrFail(Organization, caller.organizationId, { fields: ['allowContactsToReopen'] });
    if (!allowContactsToReopen) {
      throw new ConflictException(`the conversation is closed and cannot be reopened: the organization's allowContactsToReopen setting is off`);
    }
    if (how !== 'reopen' && isStaff(caller.role)) {
      throw new ConflictException('the conversation is closed; reopen it before replying');
    }
    const reopened = await em.nativeUpdate(Conversation, { id: conversation.id, status: 'closed' }, { status: 'open', closedAt: null, closedBy: null });
    if (reopened) await this.audit.recordBy(caller, 'conversation.reopened', 'conversation', conversation.id, { by: how });
    conversation.status = 'open';
    conversation.closedAt = null;
    conversation.closedBy = null;
  }

  /** The body to start with: the caller's own, else the canned response they picked (staff only). */
  private async startingContent(caller: AuthUser, dto: StartConversationDto): Promise<NewMessage> {
    let body = dto.body;
    if (dto.cannedResponseId) {
      if (!isStaff(caller.role)) throw fieldError('cannedResponseId', 'canned responses are for staff', 403);
      const canned = await this.em.findOne(CannedResponse, { id: dto.cannedResponseId, organization: caller.organizationId });
      if (!canned) throw fieldError('cannedResponseId', 'is not a canned response of your organization', 422);
      body ??= canned.body;
    }
    if (body === undefined) throw fieldError('body', 'is required unless cannedResponseId is given', 422);
    return { ...sanitizedBody(body), attachmentIds: dto.attachmentIds ?? [], readReceipt: dto.readReceipt ?? false, source: 'app' };
  }

  /**
   * The users named in to and cc, all of the caller's organisation. Someone in both is in To; anyone in
   * `skip` (the caller, or people already in the conversation) is left out.
   */
  private async resolveRecipients(
    organizationId: string,
    to: string[],
    cc: string[],
    skip: string[],
  ): Promise<Array<{ user: User; kind: RecipientKind; field: 'to' | 'cc' }>> {
    const named = [...new Set([...to, ...cc])];
    const users = named.length ? await this.em.find(User, { id: { $in: named }, organization: organizationId }) : [];
    for (const field of ['to', 'cc'] as const) {
      const unknown = (field === 'to' ? to : cc).filter((id) => !users.some((user) => user.id === id));
      if (unknown.length) throw fieldError(field, `must name users of your organization; unknown: ${[...new Set(unknown)].join(', ')}`, 422);
    }
    const toSet = new Set(to);
    return users
      .filter((user) => !skip.includes(user.id))
      .map((user) => ({ user, kind: (toSet.has(user.id) ? 'to' : 'cc') as RecipientKind, field: (toSet.has(user.id) ? 'to' : 'cc') as 'to' | 'cc' }))
      .sort((a, b) => named.indexOf(a.user.id) - named.indexOf(b.user.id));
  }

  /** Everyone in a client account's conversation must have access to the account; admins see every account. */
  private async checkClientAccount(caller: AuthUser, clientAccountId: string, recipients: Array<{ user: User; field: string }>): Promise<ClientAccount> {
    const account = await this.em.findOne(ClientAccount, { id: clientAccountId, organization: caller.organizationId });
    if (!account) throw fieldError('clientAccountId', 'is not a client account of your organization', 422);
    const withAccess = await this.clientAccounts.usersWithAccess(caller.organizationId, clientAccountId);
    if (caller.role !== 'admin' && !withAccess.has(caller.id)) throw fieldError('clientAccountId', 'is a client account you have no access to', 403);
    const outside = recipients.find(({ user }) => user.role !== 'admin' && !withAccess.has(user.id));
    if (outside) throw fieldError(outside.field, `names ${outside.user.id}, who has no access to the client account`, 422);
    return account;
  }

  /** Newly added participants' inbox rows point at the newest message they may see. */
  private async refreshInboxRows(em: EntityManager, conversationId: string, userIds: string[]): Promise<void> {
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
  private async messageView(message: ConversationMessage): Promise<ConversationMessageView> {
    const author = await this.em.findOneOrFail(User, message.author.id);
    const attachments = await this.attachments.findForMessages([message.id]);
    return toMessageView(message, author, attachments.get(message.id) ?? [], message.readReceipt ? [] : undefined);
  }
}

/** `receipts` only for the message's author, when they asked for a read receipt. */
function toMessageView(
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

function sanitizedBody(body: string): { html: string; text: string } {
  if (Buffer.byteLength(body, 'utf8') > MAX_RICH_TEXT_BYTES) throw fieldError('body', `must be at most ${MAX_RICH_TEXT_BYTES / 1024} KB`, 413);
  const sanitized = sanitizeRichText(body);
  if (!sanitized.text.trim()) throw fieldError('body', 'must contain some text once unsafe markup is removed', 422);
  return sanitized;
}
