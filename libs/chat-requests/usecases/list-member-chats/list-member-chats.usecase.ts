import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';
import { visibleMessageSql } from '../../../conversations/conversation-visibility.js';
import { previewOf } from '../../../rich-text/rich-text.js';

export interface MemberChatView {
  id: string;
  careManager: { id: string; name: string };
  program: { id: string; name: string };
  preview: string;
  lastUpdatedAt: Date;
  unreadCount: number;
}

const UNREAD_SQL = `(select count(*) from conversation_message um
                      where um.conversation_id = p.conversation_id and um.author_id <> p.user_id
                        and um.seq > p.last_read_seq
                        and ${visibleMessageSql('um', 'p', 'u')})`;

/** The member's Active Chats: one per care manager and program, newest activity first, each with its unread count. */
@Injectable()
export class ListMemberChats {
  constructor(private readonly em: EntityManager) {}

  async execute(caller: AuthUser): Promise<{ items: MemberChatView[] }> {
    const rows = await this.em.execute<
      Array<{
        id: string;
        care_manager_id: string;
        care_manager_name: string;
        program_id: string | null;
        program_name: string | null;
        body_text: string | null;
        last_activity_at: Date;
        unread_count: string;
      }>
    >(
      `select c.id, c.chat_care_manager_id as care_manager_id, cm.name as care_manager_name, c.program_id, pr.name as program_name,
              m.body_text, p.last_activity_at, ${UNREAD_SQL} as unread_count
         from conversation_participant p
         join app_user u on u.id = p.user_id
         join conversation c on c.id = p.conversation_id
         join app_user cm on cm.id = c.chat_care_manager_id
         left join program pr on pr.id = c.program_id
         left join conversation_message m on m.id = p.last_message_id
        where p.user_id = ? and p.left_at is null and c.organization_id = ? and c.kind = 'chat' and c.chat_member_id = p.user_id and c.status = 'open'
        order by p.last_activity_at desc, p.conversation_id desc
        limit 100`,
      [caller.id, caller.organizationId],
    );
    return {
      items: rows.map((row) => ({
        id: row.id,
        careManager: { id: row.care_manager_id, name: row.care_manager_name },
        program: { id: row.program_id ?? '', name: row.program_name ?? '' },
        preview: previewOf(row.body_text ?? ''),
        lastUpdatedAt: new Date(row.last_activity_at),
        unreadCount: Number(row.unread_count),
      })),
    };
  }

  /** The dot on the Chats icon: whether any chat has unread messages, and how many unread messages there are in all. */
  async unread(caller: AuthUser): Promise<{ hasUnread: boolean; count: number }> {
    const [row] = await this.em.execute<Array<{ count: string }>>(
      `select coalesce(sum(${UNREAD_SQL}), 0) as count
         from conversation_participant p
         join app_user u on u.id = p.user_id
         join conversation c on c.id = p.conversation_id
        where p.user_id = ? and p.left_at is null and c.organization_id = ? and c.kind = 'chat' and c.chat_member_id = p.user_id and c.status = 'open'`,
      [caller.id, caller.organizationId],
    );
    const count = Number(row.count);
    return { hasUnread: count > 0, count };
  }
}
