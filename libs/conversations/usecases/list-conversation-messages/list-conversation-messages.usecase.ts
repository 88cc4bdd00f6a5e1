import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AttachmentsService } from '../../../attachments/attachments.service.js';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { fieldError } from '../../../http/api-error.filter.js';
import { ConversationAccess, type Membership } from '../../conversation-access.js';
import { toMessageView, type ConversationMessageView } from '../../conversation-messages.js';
import { visibleMessageSql } from '../../conversation-visibility.js';
import { ConversationMessage, ConversationMessageReceipt } from '../../conversation.entity.js';

export const DEFAULT_MESSAGE_PAGE = 50;
export const MAX_MESSAGE_PAGE = 200;

export interface MessagePage {
  /** Oldest first, as a thread reads. */
  items: ConversationMessageView[];
  /** The page before these (`?before=`), or null when there is none. */
  olderMessagesCursor: string | null;
}

/** A cursor names a place in the conversation: the oldest message of the page just shown. */
const encodeSequenceCursor = (sequence: number) => Buffer.from(`seq:${sequence}`).toString('base64url');

function decodeSequenceCursor(cursor: string): number {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw fieldError('before', 'is not a cursor this API returned');
  return Number(match[1]);
}

/**
 * A conversation's history, a page at a time, newest pages first: the messages the caller may see (the BCC rule
 * applied in the query, so every page is full), with their attachments and, for the caller's own messages that
 * asked for one, their read receipts. Each page shown is a view in the audit trail.
 */
@Injectable()
export class ListConversationMessages {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly attachments: AttachmentsService,
    private readonly access: ConversationAccess,
  ) {}

  async execute(caller: AuthUser, id: string, query: { before?: string; limit?: number }): Promise<MessagePage> {
    const before = query.before ? decodeSequenceCursor(query.before) : null;
    const membership = await this.access.membership(caller, id);
    const page = await this.page(caller, membership, before, query.limit ?? DEFAULT_MESSAGE_PAGE);
    await this.audit.recordBy(caller, 'conversation.viewed', 'conversation', id, before === null ? undefined : { before });
    return page;
  }

  /** The page of messages before `before` (null: the newest), for a member whose membership was checked. */
  async page(caller: AuthUser, { conversation }: Membership, before: number | null, limit: number): Promise<MessagePage> {
    const rows = await this.em.execute<Array<{ id: string }>>(
      `select m.id from conversation_message m
         join conversation_participant p on p.conversation_id = m.conversation_id and p.user_id = ?
         join app_user u on u.id = p.user_id
        where m.conversation_id = ? and m.seq < ? and ${visibleMessageSql('m', 'p', 'u')}
        order by m.seq desc limit ?`,
      [caller.id, conversation.id, before ?? Number.MAX_SAFE_INTEGER, limit + 1],
    );
    const shown = rows.slice(0, limit).map((row) => row.id);
    const messages = shown.length ? await this.em.find(ConversationMessage, { id: { $in: shown } }, { populate: ['author'], orderBy: { seq: 'asc' } }) : [];
    const attachments = await this.attachments.findForMessages(messages.map((m) => m.id));
    const mine = messages.filter((m) => m.author.id === caller.id && m.readReceipt).map((m) => m.id);
    const receipts = mine.length
      ? await this.em.find(ConversationMessageReceipt, { message: { $in: mine } }, { populate: ['user'], orderBy: { readAt: 'asc' } })
      : [];
    return {
      items: messages.map((m) =>
        toMessageView(m, m.author, attachments.get(m.id) ?? [], mine.includes(m.id) ? receipts.filter((r) => r.message.id === m.id) : undefined),
      ),
      olderMessagesCursor: rows.length > limit && messages.length ? encodeSequenceCursor(messages[0].seq) : null,
    };
  }
}
