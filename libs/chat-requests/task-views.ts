import type { EntityManager } from '@mikro-orm/postgresql';
import { cursorKeySql } from '../http/pagination.js';
import type { TaskStatus } from './chat-request.entity.js';

type Named = { id: string; name: string };

/** A chat request as the care managers' queue shows it. */
export interface TaskView {
  id: string;
  kind: 'chat_request';
  status: TaskStatus;
  member: Named;
  program: Named;
  reason: { id: string | null; label: string };
  comment: string;
  owner: Named;
  assignee: Named;
  covering: boolean;
  claimedAt: Date | null;
  dueAt: Date;
  breached: boolean;
  escalated: boolean;
  firstResponseAt: Date | null;
  chatId: string;
  createdAt: Date;
  outcome: string | null;
  endedAt: Date | null;
}

/** A chat request as its member sees it: open ones are the confirmations in Chats. */
export interface MemberChatRequestView {
  id: string;
  status: TaskStatus;
  program: Named;
  reason: { id: string | null; label: string };
  comment: string;
  assignee: Named;
  covering: boolean;
  createdAt: Date;
  chatId: string;
}

export interface TaskRow {
  id: string;
  /** The sort keys, to the microsecond, for cursors. */
  due_cursor: string;
  created_cursor: string;
  organization_id: string;
  status: TaskStatus;
  member_id: string;
  member_name: string;
  program_id: string;
  program_name: string;
  reason_id: string | null;
  reason_label: string;
  comment: string;
  owner_id: string;
  owner_name: string;
  assignee_id: string;
  assignee_name: string;
  covering: boolean;
  claimed_at: Date | null;
  due_at: Date;
  breached_at: Date | null;
  escalated_at: Date | null;
  first_response_at: Date | null;
  chat_id: string;
  created_at: Date;
  outcome: string | null;
  ended_at: Date | null;
}

/** Tasks with the names they show; `where` and `tail` (order, limit) are SQL over `r` (chat_request). */
export async function findTasks(em: EntityManager, where: string, params: unknown[], tail = ''): Promise<TaskRow[]> {
  return em.execute<TaskRow[]>(
    `select r.id, r.organization_id, r.status, r.member_id, m.name as member_name, r.program_id, p.name as program_name, r.reason_id, r.reason_label,
            r.comment, r.owner_id, o.name as owner_name, r.assignee_id, a.name as assignee_name, r.covering, r.claimed_at, r.due_at, r.breached_at,
            r.escalated_at, r.first_response_at, r.chat_id, r.created_at, r.outcome, r.ended_at,
            ${cursorKeySql('r.due_at')} as due_cursor, ${cursorKeySql('r.created_at')} as created_cursor
       from chat_request r
       join app_user m on m.id = r.member_id
       join program p on p.id = r.program_id
       join app_user o on o.id = r.owner_id
       join app_user a on a.id = r.assignee_id
      where ${where} ${tail}`,
    params,
  );
}

/** One task of the caller's organisation, or undefined. */
export async function findTask(em: EntityManager, organizationId: string, id: string): Promise<TaskRow | undefined> {
  const [row] = await findTasks(em, 'r.id = ? and r.organization_id = ?', [id, organizationId]);
  return row;
}

const date = (value: Date | null) => (value === null ? null : new Date(value));

export function toTaskView(row: TaskRow): TaskView {
  return {
    id: row.id,
    kind: 'chat_request',
    status: row.status,
    member: { id: row.member_id, name: row.member_name },
    program: { id: row.program_id, name: row.program_name },
    reason: { id: row.reason_id, label: row.reason_label },
    comment: row.comment,
    owner: { id: row.owner_id, name: row.owner_name },
    assignee: { id: row.assignee_id, name: row.assignee_name },
    covering: row.covering,
    claimedAt: date(row.claimed_at),
    dueAt: new Date(row.due_at),
    breached: row.breached_at !== null,
    escalated: row.escalated_at !== null,
    firstResponseAt: date(row.first_response_at),
    chatId: row.chat_id,
    createdAt: new Date(row.created_at),
    outcome: row.outcome,
    endedAt: date(row.ended_at),
  };
}

export function toMemberChatRequestView(row: TaskRow): MemberChatRequestView {
  return {
    id: row.id,
    status: row.status,
    program: { id: row.program_id, name: row.program_name },
    reason: { id: row.reason_id, label: row.reason_label },
    comment: row.comment,
    assignee: { id: row.assignee_id, name: row.assignee_name },
    covering: row.covering,
    createdAt: new Date(row.created_at),
    chatId: row.chat_id,
  };
}
