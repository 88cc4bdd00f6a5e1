import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';
import { fieldError } from '../../../http/api-error.filter.js';
import { decodeCursor, encodeCursor, type Page } from '../../../http/pagination.js';
import { ListTasksQuery } from '../../chat-request.dto.js';
import { TaskAccess } from '../../task-access.js';
import { findTasks, toTaskView, type TaskView } from '../../task-views.js';

/**
 * A care manager's queue: open tasks by when their first response is due (soonest first); closed and
 * cancelled ones newest first. A supervisor's own queue also holds every escalated task. Anyone's queue
 * but one's own is for supervisors.
 */
@Injectable()
export class ListTasks {
  constructor(
    private readonly em: EntityManager,
    private readonly access: TaskAccess,
  ) {}

  async execute(caller: AuthUser, query: ListTasksQuery): Promise<Page<TaskView>> {
    const assigneeId = query.assignee === 'me' ? caller.id : query.assignee.toLowerCase();
    const supervisor = await this.access.isSupervisor(caller);
    if (assigneeId !== caller.id && !supervisor) throw fieldError('assignee', "only supervisors may see someone else's queue", 403);
    const open = query.status === 'open';
    const params: unknown[] = [caller.organizationId, query.status];
    let where = `r.organization_id = ? and r.status = ?`;
    if (open && supervisor && assigneeId === caller.id) {
      where += ` and (r.assignee_id = ? or r.escalated_at is not null)`;
    } else {
      where += ` and r.assignee_id = ?`;
    }
    params.push(assigneeId);
    if (query.programId) {
      where += ` and r.program_id = ?`;
      params.push(query.programId);
    }
    if (query.breached) where += query.breached === 'true' ? ` and r.breached_at is not null` : ` and r.breached_at is null`;
    const after = decodeCursor(query.cursor);
    if (after) {
      where += open ? ` and (r.due_at, r.id) > (?, ?)` : ` and (r.created_at, r.id) < (?, ?)`;
      params.push(after.at, after.id);
    }
    const order = open ? 'order by r.due_at, r.id' : 'order by r.created_at desc, r.id desc';
    const rows = await findTasks(this.em, where, [...params, query.limit + 1], `${order} limit ?`);
    const items = rows.slice(0, query.limit).map(toTaskView);
    const last = rows[items.length - 1];
    const more = rows.length > query.limit && last;
    return { items, nextCursor: more ? encodeCursor(open ? last.due_cursor : last.created_cursor, last.id) : null };
  }
}
