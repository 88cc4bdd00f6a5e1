import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';
import { cursorKeySql, decodeCursor, encodeCursor, type Page } from '../../../http/pagination.js';
import { previewOf } from '../../../rich-text/rich-text.js';
import type { ConversationListItem } from '../../conversation-messages.js';
import { visibleMessageSql } from '../../conversation-visibility.js';
import { ListConversationsQuery } from '../../conversation.dto.js';
import type { ConversationStatus } from '../../conversation.entity.js';

/**
 * The caller's inbox: the conversations they are still in, in one folder (active: open, inactive: closed),
 * newest activity first, each with its latest message they may see and how many of those are unread; `q` narrows
 * it to conversations whose subject or visible messages contain the words.
 */
@Injectable()
export class ListConversations {
  constructor(private readonly em: EntityManager) {}

  async execute(caller: AuthUser, query: ListConversationsQuery): Promise<Page<ConversationListItem>> {
    const params: unknown[] = [caller.id, caller.organizationId, query.folder === 'active' ? 'open' : 'closed', query.kind ?? 'thread'];
    let filters = '';
    if (query.clientAccountId) {
      filters += ' and c.client_account_id = ?';
      params.push(query.clientAccountId);
    }
    const words = query.q?.trim();
    if (words) {
      // Only what the caller can see matches: the subject, or a message visible to them (never a blind copy's).
      const pattern = `%${words.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      filters += ` and (c.subject ilike ? or exists (
          select 1 from conversation_message sm where sm.conversation_id = c.id and sm.body_text ilike ? and ${visibleMessageSql('sm', 'p', 'u')}))`;
      params.push(pattern, pattern);
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
        cursor_at: string;
        client_account_id: string | null;
        client_account_name: string | null;
        body_text: string | null;
        author_id: string | null;
        author_name: string | null;
        unread_count: string;
      }>
    >(
      `select c.id, c.subject, c.status, p.last_activity_at, ${cursorKeySql('p.last_activity_at')} as cursor_at, c.client_account_id, ca.name as client_account_name,
              m.body_text, m.author_id, a.name as author_name,
              (select count(*) from conversation_message um
                where um.conversation_id = p.conversation_id and um.author_id <> p.user_id
                  and um.seq > p.last_read_seq
                  and ${visibleMessageSql('um', 'p', 'u')}) as unread_count
         from conversation_participant p
         join app_user u on u.id = p.user_id
         join conversation c on c.id = p.conversation_id
         left join client_account ca on ca.id = c.client_account_id
         left join conversation_message m on m.id = p.last_message_id
         left join app_user a on a.id = m.author_id
        where p.user_id = ? and p.left_at is null and c.organization_id = ? and c.status = ? and c.kind = ?${filters}
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
    const last = rows[items.length - 1];
    return { items, nextCursor: more && last ? encodeCursor(last.cursor_at, last.id) : null };
  }
}
