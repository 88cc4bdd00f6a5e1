import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';
import type { TaskStatus } from '../../chat-request.entity.js';
import { findTasks, toMemberChatRequestView, type MemberChatRequestView } from '../../task-views.js';

/** The member's own chat requests, newest first; `open` ones are the confirmations Chats shows. */
@Injectable()
export class ListMemberChatRequests {
  constructor(private readonly em: EntityManager) {}

  async execute(caller: AuthUser, status?: TaskStatus): Promise<{ items: MemberChatRequestView[] }> {
    const rows = await findTasks(
      this.em,
      `r.member_id = ? and r.organization_id = ?${status ? ' and r.status = ?' : ''}`,
      [caller.id, caller.organizationId, ...(status ? [status] : [])],
      'order by r.created_at desc, r.id desc limit 100',
    );
    return { items: rows.map(toMemberChatRequestView) };
  }
}
