import { HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../../libs/auth/auth-user.js';
import type { ConversationStatus, RecipientKind } from '../../libs/conversations/conversation.entity.js';
import type { Role } from '../../libs/users/user.entity.js';
import type { TestDatabase } from './test-database.js';

/** Seeds and checks for the specs of libs/conversations/usecases: rows written with SQL, as a test sets them up. */

export interface SeededUser extends AuthUser {
  name: string;
}

export async function seedOrganization(db: TestDatabase, settings: { allowContactsToReopen?: boolean; unreadReminderMinutes?: number } = {}): Promise<string> {
  const id = randomUUID();
  await db.query(`insert into organization (id, name, allow_contacts_to_reopen, unread_reminder_minutes, created_at) values (?, ?, ?, ?, now())`, [
    id,
    `Organization ${id.slice(0, 8)}`,
    settings.allowContactsToReopen ?? false,
    settings.unreadReminderMinutes ?? 0,
  ]);
  return id;
}

export async function seedUser(db: TestDatabase, organizationId: string, role: Role, name: string = role): Promise<SeededUser> {
  const id = randomUUID();
  await db.query(`insert into app_user (id, organization_id, email, name, role, created_at) values (?, ?, ?, ?, ?, now())`, [
    id,
    organizationId,
    `${id}@example.test`,
    name,
    role,
  ]);
  return { id, organizationId, role, name };
}

/** A conversation `createdBy` started (in To) with `others`, without messages; every participant added now. */
export async function seedConversation(
  db: TestDatabase,
  createdBy: SeededUser,
  others: Array<[SeededUser, RecipientKind]>,
  options: { status?: ConversationStatus; subject?: string } = {},
): Promise<string> {
  const id = randomUUID();
  const status = options.status ?? 'open';
  await db.query(
    `insert into conversation (id, organization_id, subject, status, created_by_id, created_at, closed_at, closed_by_id)
     values (?, ?, ?, ?, ?, now(), ?, ?)`,
    [
      id,
      createdBy.organizationId,
      options.subject ?? 'Your policy 7781',
      status,
      createdBy.id,
      status === 'closed' ? new Date() : null,
      status === 'closed' ? createdBy.id : null,
    ],
  );
  for (const [user, kind] of [[createdBy, 'to'] as const, ...others]) {
    await db.query(
      `insert into conversation_participant (conversation_id, user_id, kind, added_by_id, added_at, last_activity_at) values (?, ?, ?, ?, now(), now())`,
      [id, user.id, kind, createdBy.id],
    );
  }
  return id;
}

/** The status and message of the HTTP error `call` fails with (the answer the API would give). */
export async function refusal(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof HttpException) return { status: error.getStatus(), message: error.message };
    throw error;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

/** How many rows `from` (a table, with an optional where clause) holds. */
export async function count(db: TestDatabase, from: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: number }>(`select count(*)::int as n from ${from}`, params);
  return row.n;
}
