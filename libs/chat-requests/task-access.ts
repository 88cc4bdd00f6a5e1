import { EntityManager } from '@mikro-orm/postgresql';
import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { findTask, findTasks, toMemberChatRequestView, toTaskView, type MemberChatRequestView, type TaskRow, type TaskView } from './task-views.js';

/**
 * Who may do what with a chat request. Members see only their own; staff and admins see their
 * organisation's tasks. Supervisors are the admins and the members of the organisation's supervisor team.
 */
@Injectable()
export class TaskAccess {
  constructor(private readonly em: EntityManager) {}

  /** The caller's own request; anyone else's (or another organisation's) is not found. */
  async memberRequest(caller: AuthUser, id: string): Promise<TaskRow> {
    const [row] = await findTasks(this.em, 'r.id = ? and r.member_id = ? and r.organization_id = ?', [id, caller.id, caller.organizationId]);
    if (!row) throw new NotFoundException('chat request not found');
    return row;
  }

  async memberView(caller: AuthUser, id: string): Promise<MemberChatRequestView> {
    return toMemberChatRequestView(await this.memberRequest(caller, id));
  }

  async task(caller: AuthUser, id: string): Promise<TaskRow> {
    const row = await findTask(this.em, caller.organizationId, id);
    if (!row) throw new NotFoundException('task not found');
    return row;
  }

  async taskView(caller: AuthUser, id: string): Promise<TaskView> {
    return toTaskView(await this.task(caller, id));
  }

  async isSupervisor(caller: AuthUser): Promise<boolean> {
    if (caller.role === 'admin') return true;
    const [row] = await this.em.execute<Array<{ yes: boolean }>>(
      `select exists (select 1 from organization o join team_member tm on tm.team_id = (o.chat_request_settings->>'supervisorTeamId')::uuid
                       where o.id = ? and tm.user_id = ?) as yes`,
      [caller.organizationId, caller.id],
    );
    return row.yes;
  }

  /** Whether the caller covers the task's owner right now. */
  async coversOwner(caller: AuthUser, task: TaskRow): Promise<boolean> {
    const [row] = await this.em.execute<Array<{ yes: boolean }>>(
      `select exists (select 1 from away_period where user_id = ? and covered_by_id = ? and starts_at <= now() and ends_at > now()) as yes`,
      [task.owner_id, caller.id],
    );
    return row.yes;
  }

  /** The assignee, or a supervisor; otherwise 403 saying who may. */
  async assertAssigneeOrSupervisor(caller: AuthUser, task: TaskRow, action: string): Promise<void> {
    if (task.assignee_id === caller.id || (await this.isSupervisor(caller))) return;
    throw new ForbiddenException(`only the assignee or a supervisor may ${action} this task`);
  }

  /** A staff or admin user of the caller's organisation, for `field`. */
  async assertStaff(caller: AuthUser, userId: string, field: string): Promise<void> {
    const [row] = await this.em.execute<Array<{ role: string }>>(`select role from app_user where id = ? and organization_id = ?`, [
      userId,
      caller.organizationId,
    ]);
    if (!row) throw fieldError(field, 'is not a user of your organization', 422);
    if (row.role === 'member') throw fieldError(field, 'must be a staff or admin user', 422);
  }
}
