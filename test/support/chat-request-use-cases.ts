import { Global, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ChatRequestsModule } from '../../libs/chat-requests/chat-requests.module.js';
import type { TaskStatus } from '../../libs/chat-requests/chat-request.entity.js';
import { visibleMessageSql } from '../../libs/conversations/conversation-visibility.js';
import type { AuthorKind, RecipientKind } from '../../libs/conversations/conversation.entity.js';
import type { ChatRequestSettings } from '../../libs/organizations/organization.entity.js';
import { WorkflowGateway } from '../../libs/temporal/workflow-gateway.js';
import type { SeededUser } from './conversation-use-cases.js';
import type { TestDatabase } from './test-database.js';

/** Seeds and modules for the specs of libs/chat-requests: rows written with SQL, as a test sets them up. */

const noTemporal = () => Promise.reject(new Error('these specs run without Temporal: nothing here may call it directly'));

/** The app's global WorkflowGateway, replaced: the use cases under test reach Temporal only through the outbox. */
@Global()
@Module({
  providers: [{ provide: WorkflowGateway, useValue: { start: noTemporal, signal: noTemporal, signalWithStart: noTemporal, update: noTemporal } }],
  exports: [WorkflowGateway],
})
class WithoutTemporal {}

/** ChatRequestsModule as the API builds it, without a Temporal connection. */
@Module({ imports: [WithoutTemporal, ChatRequestsModule] })
export class ChatRequestsWithoutTemporal {}

export interface SeededProgram {
  id: string;
  name: string;
}

export async function seedProgram(db: TestDatabase, organizationId: string, name: string): Promise<SeededProgram> {
  const id = randomUUID();
  await db.query(`insert into program (id, organization_id, name, created_at) values (?, ?, ?, now())`, [id, organizationId, name]);
  return { id, name };
}

export async function seedEnrollment(db: TestDatabase, program: SeededProgram, member: SeededUser, careManager: SeededUser): Promise<void> {
  await db.query(`insert into enrollment (id, organization_id, program_id, member_id, care_manager_id, created_at) values (?, ?, ?, ?, ?, now())`, [
    randomUUID(),
    member.organizationId,
    program.id,
    member.id,
    careManager.id,
  ]);
}

export async function seedReason(db: TestDatabase, organizationId: string, label: string, active = true): Promise<{ id: string; label: string }> {
  const id = randomUUID();
  await db.query(`insert into chat_request_reason (id, organization_id, label, active, created_at) values (?, ?, ?, ?, now())`, [
    id,
    organizationId,
    label,
    active,
  ]);
  return { id, label };
}

/** Merges `settings` into the organisation's chat_request_settings. */
export async function setChatRequestSettings(db: TestDatabase, organizationId: string, settings: Partial<ChatRequestSettings>): Promise<void> {
  await db.query(`update organization set chat_request_settings = chat_request_settings || ?::jsonb where id = ?`, [JSON.stringify(settings), organizationId]);
}

/** A team of the organisation with these members. */
export async function seedTeam(db: TestDatabase, organizationId: string, name: string, members: SeededUser[]): Promise<string> {
  const id = randomUUID();
  await db.query(`insert into team (id, organization_id, name, created_at) values (?, ?, ?, now())`, [id, organizationId, name]);
  for (const member of members) await db.query(`insert into team_member (team_id, user_id, created_at) values (?, ?, now())`, [id, member.id]);
  return id;
}

export async function seedAwayPeriod(db: TestDatabase, user: SeededUser, coveredBy: SeededUser, startsAt: Date, endsAt: Date): Promise<string> {
  const id = randomUUID();
  await db.query(
    `insert into away_period (id, organization_id, user_id, covered_by_id, starts_at, ends_at, created_by_id, created_at) values (?, ?, ?, ?, ?, ?, ?, now())`,
    [id, user.organizationId, user.id, coveredBy.id, startsAt, endsAt, user.id],
  );
  return id;
}

export async function seedPushSubscription(db: TestDatabase, user: SeededUser): Promise<string> {
  const id = randomUUID();
  await db.query(`insert into push_subscription (id, user_id, endpoint, p256dh, auth, created_at) values (?, ?, ?, 'p256dh', 'auth', now())`, [
    id,
    user.id,
    `https://push.example.test/${id}`,
  ]);
  return id;
}

/** The member's chat with the care manager in the program (kind `chat`), both of them in it (To), without messages. */
export async function seedChat(
  db: TestDatabase,
  parties: { member: SeededUser; careManager: SeededUser; program: SeededProgram },
  options: { status?: 'open' | 'closed' } = {},
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `insert into conversation (id, organization_id, subject, status, kind, program_id, chat_member_id, chat_care_manager_id, created_by_id, created_at)
     values (?, ?, ?, ?, 'chat', ?, ?, ?, ?, now())`,
    [
      id,
      parties.member.organizationId,
      parties.program.name,
      options.status ?? 'open',
      parties.program.id,
      parties.member.id,
      parties.careManager.id,
      parties.member.id,
    ],
  );
  for (const user of [parties.member, parties.careManager]) await seedParticipant(db, id, user, 'to', parties.member);
  return id;
}

export async function seedParticipant(db: TestDatabase, conversationId: string, user: SeededUser, kind: RecipientKind, addedBy: SeededUser): Promise<void> {
  await db.query(
    `insert into conversation_participant (conversation_id, user_id, kind, added_by_id, added_at, last_activity_at) values (?, ?, ?, ?, now(), now())`,
    [conversationId, user.id, kind, addedBy.id],
  );
}

/**
 * A message in a conversation at `createdAt`; the inbox rows of those who may see it (the BCC rule) point to
 * it, as posting a message does. Seed a conversation's messages oldest first.
 */
export async function seedMessage(
  db: TestDatabase,
  conversationId: string,
  author: SeededUser,
  authorKind: AuthorKind,
  text: string,
  createdAt: Date,
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `insert into conversation_message (id, conversation_id, author_id, author_kind, body_html, body_text, read_receipt, source, created_at)
     values (?, ?, ?, ?, ?, ?, false, 'app', ?)`,
    [id, conversationId, author.id, authorKind, `<p>${text}</p>`, text, createdAt],
  );
  await db.query(
    `update conversation_participant p set last_activity_at = m.created_at, last_message_id = m.id
       from app_user u, conversation_message m
      where m.id = ? and p.conversation_id = m.conversation_id and u.id = p.user_id and p.left_at is null and ${visibleMessageSql('m', 'p', 'u')}`,
    [id],
  );
  return id;
}

export interface SeededChatRequest {
  id: string;
  chatId: string;
}

/**
 * A chat request as the API and its workflow leave it. Its chat is the member's with the assignee in the
 * program, created unless it exists. Times default to now (due an hour later); give them to order tasks.
 */
export async function seedChatRequest(
  db: TestDatabase,
  request: {
    member: SeededUser;
    program: SeededProgram;
    owner: SeededUser;
    assignee?: SeededUser;
    covering?: boolean;
    reason?: { id: string | null; label: string };
    comment?: string;
    status?: TaskStatus;
    createdAt?: Date;
    dueAt?: Date;
    breachedAt?: Date | null;
    escalatedAt?: Date | null;
    firstResponseAt?: Date | null;
  },
): Promise<SeededChatRequest> {
  const assignee = request.assignee ?? request.owner;
  const [existing] = await db.query<{ id: string }>(
    `select id from conversation where kind = 'chat' and chat_member_id = ? and chat_care_manager_id = ? and program_id = ?`,
    [request.member.id, assignee.id, request.program.id],
  );
  const chatId = existing?.id ?? (await seedChat(db, { member: request.member, careManager: assignee, program: request.program }));
  const id = randomUUID();
  const createdAt = request.createdAt ?? new Date();
  const dueAt = request.dueAt ?? new Date(createdAt.getTime() + 60 * 60_000);
  const status = request.status ?? 'open';
  await db.query(
    `insert into chat_request (id, organization_id, program_id, member_id, reason_id, reason_label, comment, status, owner_id, assignee_id, covering, chat_id,
                               due_at, escalate_at, first_response_at, breached_at, escalated_at, ended_at, ended_by_id, outcome, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      request.member.organizationId,
      request.program.id,
      request.member.id,
      request.reason?.id ?? null,
      request.reason?.label ?? 'Medication question',
      request.comment ?? 'Can we talk about my new prescription?',
      status,
      request.owner.id,
      assignee.id,
      request.covering ?? false,
      chatId,
      dueAt,
      new Date(createdAt.getTime() + 4 * 60 * 60_000),
      request.firstResponseAt ?? null,
      request.breachedAt ?? null,
      request.escalatedAt ?? null,
      status === 'open' ? null : createdAt,
      status === 'open' ? null : status === 'cancelled' ? request.member.id : assignee.id,
      status === 'closed' ? 'Talked it through' : null,
      createdAt,
    ],
  );
  return { id, chatId };
}
