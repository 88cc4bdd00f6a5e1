import { Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { TaskChange, TaskEventKind, TaskState } from '../../workflows/chat-request.contract.js';
import {
  seedChatRequest,
  seedProgram,
  seedPushSubscription,
  seedTeam,
  setChatRequestSettings,
  type SeededChatRequest,
  type SeededProgram,
} from '../../test/support/chat-request-use-cases.js';
import { count, seedOrganization, seedUser, type SeededUser } from '../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../test/support/test-database.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Delivery } from '../delivery/delivery.entity.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { TaskChangesModule } from './task-changes.module.js';
import { TaskChanges } from './task-changes.service.js';

/** TaskChanges as the worker wires it: TaskChangesModule, with the one TidingsMetrics of the application. */
@Module({ imports: [MetricsModule, TaskChangesModule] })
class TaskChangesUnderTest {}

const MINUTE = 60_000;

describe('TaskChanges', () => {
  let db: TestDatabase;
  let taskChanges: TaskChanges;
  let config: AppConfig;
  let organizationId: string;
  let organizationName: string;
  let cara: SeededUser; // the care manager who owns the tasks
  let dan: SeededUser; // covers for Cara; has a push subscription
  let sue: SeededUser; // staff in the supervisor team
  let sam: SeededUser; // staff, no supervisor
  let ada: SeededUser; // admin: a supervisor
  let danPush: string;
  let diabetes: SeededProgram;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(TaskChangesUnderTest);
    [taskChanges, config] = [nest.get(TaskChanges), nest.get<AppConfig>(APP_CONFIG)];
    organizationId = await seedOrganization(db); // notification_mode: privacy, the default
    [{ name: organizationName }] = await db.query<{ name: string }>(`select name from organization where id = ?`, [organizationId]);
    [cara, dan, sue, sam, ada] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Cara Care'),
      seedUser(db, organizationId, 'staff', 'Dan Duty'),
      seedUser(db, organizationId, 'staff', 'Sue Supervisor'),
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'admin', 'Ada Admin'),
    ]);
    await setChatRequestSettings(db, organizationId, { supervisorTeamId: await seedTeam(db, organizationId, 'Supervisors', [sue]) });
    await seedTeam(db, organizationId, 'Night shift', [sam]);
    danPush = await seedPushSubscription(db, dan);
    diabetes = await seedProgram(db, organizationId, 'Diabetes');
    // An admin elsewhere supervises nothing here.
    await seedUser(db, await seedOrganization(db), 'admin', 'Bea Elsewhere');
  });

  afterAll(() => db?.drop());

  /** A new member's open request in Diabetes, owned by (and unless said otherwise assigned to) Cara, in their chat. */
  async function request(
    memberName = 'Mia Member',
    options: Omit<Parameters<typeof seedChatRequest>[1], 'member' | 'program' | 'owner'> = {},
  ): Promise<SeededChatRequest> {
    const member = await seedUser(db, organizationId, 'member', memberName);
    return seedChatRequest(db, { member, program: diabetes, owner: cara, comment: 'My new pills make me dizzy', ...options });
  }
  const state = (overrides: Partial<TaskState> = {}): TaskState => ({
    status: 'open',
    ownerId: cara.id,
    assigneeId: cara.id,
    covering: false,
    claimedById: null,
    claimedAt: null,
    placedByHand: false,
    firstResponseAt: null,
    breachedAt: null,
    escalatedAt: null,
    outcome: null,
    endedAt: null,
    endedById: null,
    version: 1,
    ...overrides,
  });
  const change = (
    target: SeededChatRequest,
    kind: TaskEventKind,
    overrides: Partial<TaskState> = {},
    extra: { actorId?: string | null; details?: TaskChange['details'] } = {},
  ): TaskChange => ({
    chatRequestId: target.id,
    eventId: randomUUID(),
    kind,
    actorId: extra.actorId ?? null,
    state: state(overrides),
    details: extra.details ?? {},
  });
  // Each call is one unit of work of its own, as each activity runs in the worker.
  const record = (taskChange: TaskChange) => db.request(() => taskChanges.record(taskChange));
  const render = async (eventId: string, recipient: SeededUser) =>
    db.request(async () => {
      const delivery = await db.em.fork().findOneOrFail(Delivery, { subjectId: eventId, recipientId: recipient.id, channel: 'email' });
      return taskChanges.render(delivery);
    });
  /** The task's row, its times as Dates. */
  const mirror = async (target: SeededChatRequest) => {
    const [row] = await db.query<Record<string, unknown>>(
      `select status, assignee_id, covering, claimed_by_id, first_response_at, breached_at, escalated_at, outcome, ended_at, ended_by_id, chat_id, mirror_version
         from chat_request where id = ?`,
      [target.id],
    );
    return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, key.endsWith('_at') && value !== null ? new Date(value as string) : value]));
  };
  /** The deliveries planned for an event, as [recipient, channel, kind, target]. */
  const planned = (eventId: string) =>
    db.query<{ recipient_id: string; channel: string; kind: string; target: string }>(
      `select recipient_id, channel, kind, target from delivery where subject_type = 'chat_request_event' and subject_id = ? order by recipient_id, channel`,
      [eventId],
    );
  const byRecipient = (...rows: Array<[SeededUser, string, string, string?]>) =>
    rows
      .map(([user, channel, kind, target]) => ({ recipient_id: user.id, channel, kind, target: target ?? '' }))
      .sort((a, b) => a.recipient_id.localeCompare(b.recipient_id) || a.channel.localeCompare(b.channel));

  it('mirrors each change into chat_request, and an older change that arrives late does not overwrite a newer one', async () => {
    const task = await request();
    const breachedAt = Date.now() - 5 * MINUTE;
    const created = change(task, 'created', { version: 1 });
    const breached = change(task, 'breached', { version: 2, breachedAt });

    await record(breached);
    expect(await mirror(task)).toMatchObject({ status: 'open', breached_at: new Date(breachedAt), mirror_version: 2 });
    await record(created);
    expect(await mirror(task)).toMatchObject({ status: 'open', breached_at: new Date(breachedAt), mirror_version: 2 });

    const endedAt = Date.now();
    await record(
      change(task, 'closed', { version: 3, breachedAt, status: 'closed', outcome: 'Talked it through', endedAt, endedById: cara.id }, { actorId: cara.id }),
    );
    expect(await mirror(task)).toMatchObject({
      status: 'closed',
      breached_at: new Date(breachedAt),
      outcome: 'Talked it through',
      ended_at: new Date(endedAt),
      ended_by_id: cara.id,
      chat_id: task.chatId,
      mirror_version: 3,
    });
    // The late change is still part of the task's history.
    expect(await db.query(`select kind, actor_id, details from chat_request_event where chat_request_id = ? order by kind`, [task.id])).toEqual([
      { kind: 'breached', actor_id: null, details: { assigneeId: cara.id } },
      { kind: 'closed', actor_id: cara.id, details: { assigneeId: cara.id, outcome: 'Talked it through' } },
      { kind: 'created', actor_id: null, details: { assigneeId: cara.id } },
    ]);
  });

  it('keeps a first response already recorded (by the API, as the message was stored)', async () => {
    const answeredAt = new Date(Date.now() - 10 * MINUTE);
    const task = await request('Mia Answered', { firstResponseAt: answeredAt });

    await record(change(task, 'breached', { version: 1, breachedAt: Date.now() - 5 * MINUTE }));
    expect(await mirror(task)).toMatchObject({ first_response_at: answeredAt, mirror_version: 1 });

    await record(change(task, 'responded', { version: 2, firstResponseAt: Date.now() }));
    expect(await mirror(task)).toMatchObject({ first_response_at: answeredAt, mirror_version: 2 });

    const unanswered = await request('Mia Unanswered');
    const respondedAt = Date.now() - MINUTE;
    await record(change(unanswered, 'responded', { version: 1, firstResponseAt: respondedAt }));
    expect(await mirror(unanswered)).toMatchObject({ first_response_at: new Date(respondedAt) });
  });

  it("moves a reassigned task to the member's chat with the new assignee, creating it once", async () => {
    const task = await request('Mia Moved');
    const [{ member_id: memberId }] = await db.query<{ member_id: string }>(`select member_id from chat_request where id = ?`, [task.id]);
    const reassigned = change(
      task,
      'reassigned',
      { version: 1, assigneeId: dan.id, placedByHand: true },
      { actorId: ada.id, details: { because: 'reassigned' } },
    );

    const { chatId } = await record(reassigned);

    expect(chatId).not.toBe(task.chatId);
    expect(await mirror(task)).toMatchObject({ assignee_id: dan.id, chat_id: chatId });
    expect(await db.query(`select kind, status, subject, chat_member_id, chat_care_manager_id, program_id from conversation where id = ?`, [chatId])).toEqual([
      { kind: 'chat', status: 'open', subject: 'Diabetes', chat_member_id: memberId, chat_care_manager_id: dan.id, program_id: diabetes.id },
    ]);
    expect(await db.query(`select user_id, kind from conversation_participant where conversation_id = ? order by user_id`, [chatId])).toEqual(
      [memberId, dan.id].sort().map((user_id) => ({ user_id, kind: 'to' })),
    );
    // Recorded again (a retried activity): the same chat, no second one.
    expect((await record(reassigned)).chatId).toBe(chatId);
    expect(await count(db, `conversation where kind = 'chat' and chat_member_id = ?`, [memberId])).toBe(2);
    // Dan hears of it by email and on his push subscription.
    expect(await planned(reassigned.eventId)).toEqual(byRecipient([dan, 'email', 'task_assigned'], [dan, 'push', 'task_assigned', danPush]));
  });

  it('tells the member who covers, in one system message however often the change is recorded, and records the event once', async () => {
    const task = await request('Mia Covered');
    const awayPeriod = { id: randomUUID(), userId: cara.id, coveredById: dan.id, startsAt: Date.now() - MINUTE, endsAt: Date.UTC(2026, 11, 7, 12) };
    const covered = change(task, 'reassigned', { version: 1, assigneeId: dan.id, covering: true }, { details: { because: 'away_period_started', awayPeriod } });

    const first = await record(covered);
    const again = await record(covered);

    expect(again).toEqual(first);
    expect(await db.query(`select author_id, author_kind, body_text from conversation_message where conversation_id = ?`, [first.chatId])).toEqual([
      { author_id: dan.id, author_kind: 'system', body_text: 'Dan Duty is covering for Cara Care until 7 Dec' },
    ]);
    // At the top of both inboxes.
    expect(
      await db.query(`select count(*)::int as n from conversation_participant where conversation_id = ? and last_message_id = ?`, [
        first.chatId,
        covered.eventId,
      ]),
    ).toEqual([{ n: 2 }]);
    expect(await db.query(`select kind, details from chat_request_event where id = ?`, [covered.eventId])).toEqual([
      { kind: 'reassigned', details: { because: 'away_period_started', awayPeriod, assigneeId: dan.id } },
    ]);
    expect(await count(db, 'chat_request_event where chat_request_id = ?', [task.id])).toBe(1);
    expect(await planned(covered.eventId)).toEqual(byRecipient([dan, 'email', 'task_assigned'], [dan, 'push', 'task_assigned', danPush]));

    // Given by hand to someone who covers no one: no such message.
    const byHand = await record(
      change(task, 'reassigned', { version: 2, assigneeId: sam.id, placedByHand: true }, { actorId: ada.id, details: { because: 'reassigned' } }),
    );
    expect(await count(db, 'conversation_message where conversation_id = ?', [byHand.chatId])).toBe(0);
  });

  it("dates the cover message in the organisation's time zone", async () => {
    const otherOrganizationId = await seedOrganization(db);
    await setChatRequestSettings(db, otherOrganizationId, {
      businessHours: { timezone: 'Pacific/Auckland', days: [1, 2, 3, 4, 5], start: '08:00', end: '17:00' },
    });
    const [owner, cover, member] = await Promise.all([
      seedUser(db, otherOrganizationId, 'staff', 'Olga Owner'),
      seedUser(db, otherOrganizationId, 'staff', 'Carl Cover'),
      seedUser(db, otherOrganizationId, 'member', 'Kiri Member'),
    ]);
    const task = await seedChatRequest(db, { member, owner, program: await seedProgram(db, otherOrganizationId, 'Diabetes') });
    // 12:00 UTC on 7 December is 01:00 on 8 December in Auckland.
    const awayPeriod = { id: randomUUID(), userId: owner.id, coveredById: cover.id, startsAt: Date.now() - MINUTE, endsAt: Date.UTC(2026, 11, 7, 12) };

    const { chatId } = await record(
      change(task, 'created', { version: 1, ownerId: owner.id, assigneeId: cover.id, covering: true }, { details: { awayPeriod } }),
    );

    expect(await db.query(`select body_text from conversation_message where conversation_id = ?`, [chatId])).toEqual([
      { body_text: 'Carl Cover is covering for Olga Owner until 8 Dec' },
    ]);
  });

  describe('plans notifications in the delivery ledger', () => {
    it('a new task: its assignee, by email, and by push only on a push subscription', async () => {
      const toCara = change(await request('Mia New'), 'created');
      const { notify } = await record(toCara);
      expect(await planned(toCara.eventId)).toEqual(byRecipient([cara, 'email', 'task_assigned']));
      expect(notify).toEqual([{ deliveryId: expect.any(String), channel: 'email' }]);

      const toDan = change(await request('Mia Dan', { assignee: dan, covering: true }), 'created', { assigneeId: dan.id, covering: true });
      expect((await record(toDan)).notify.map((target) => target.channel).sort()).toEqual(['email', 'push']);
      expect(await planned(toDan.eventId)).toEqual(byRecipient([dan, 'email', 'task_assigned'], [dan, 'push', 'task_assigned', danPush]));
    });

    it('a breach: the assignee and the supervisors (admins and the supervisor team)', async () => {
      const breached = change(await request('Mia Late'), 'breached', { breachedAt: Date.now() });
      await record(breached);
      expect(await planned(breached.eventId)).toEqual(
        byRecipient([cara, 'email', 'task_breached'], [sue, 'email', 'task_breached'], [ada, 'email', 'task_breached']),
      );
    });

    it('an escalation: the supervisors only', async () => {
      const escalated = change(await request('Mia Escalated'), 'escalated', { breachedAt: Date.now() - MINUTE, escalatedAt: Date.now() });
      await record(escalated);
      expect(await planned(escalated.eventId)).toEqual(byRecipient([sue, 'email', 'task_escalated'], [ada, 'email', 'task_escalated']));
    });

    it('nobody, when the new assignee took the task themselves, or for a change that needs no one', async () => {
      const task = await request('Mia Claimed');
      const claimed = change(
        task,
        'reassigned',
        { version: 1, assigneeId: dan.id, claimedById: dan.id, claimedAt: Date.now() },
        { actorId: dan.id, details: { because: 'claimed' } },
      );
      expect((await record(claimed)).notify).toEqual([]);
      const closed = change(
        task,
        'closed',
        { version: 2, assigneeId: dan.id, status: 'closed', outcome: 'Done', endedAt: Date.now(), endedById: dan.id },
        { actorId: dan.id },
      );
      expect((await record(closed)).notify).toEqual([]);
      expect(await count(db, `delivery where subject_id in (?, ?)`, [claimed.eventId, closed.eventId])).toBe(0);
    });
  });

  describe('render()', () => {
    it('in privacy mode (the default) names neither the member nor the reason, only that a request waits and where', async () => {
      const task = await request('Mia Private', { reason: { id: null, label: 'Medication question' } });
      const created = change(task, 'created');
      await record(created);

      const rendered = await render(created.eventId, cara);

      expect(rendered).toEqual({
        notification: {
          subject: `A chat request in ${organizationName} needs you`,
          text: expect.stringContaining(`${config.appUrl}/tasks/${task.id}`),
          html: expect.any(String),
          url: `${config.appUrl}/tasks/${task.id}`,
        },
      });
      const shown = JSON.stringify(rendered);
      for (const secret of ['Mia', 'Medication', 'dizzy']) expect(shown).not.toContain(secret);

      // The same delivery in convenience mode does say who and why.
      await db.query(`update organization set notification_mode = 'convenience' where id = ?`, [organizationId]);
      try {
        expect(await render(created.eventId, cara)).toMatchObject({ notification: { subject: 'New chat request: Mia Private, Medication question' } });
      } finally {
        await db.query(`update organization set notification_mode = 'privacy' where id = ?`, [organizationId]);
      }
    });

    it('skips an assignment once the task has moved to someone else, and any notification once it is closed', async () => {
      const task = await request('Mia Skipped');
      const created = change(task, 'created');
      await record(created);
      const breached = change(task, 'breached', { version: 2, breachedAt: Date.now() });
      await record(breached);
      expect(await render(created.eventId, cara)).toHaveProperty('notification');

      const moved = change(
        task,
        'reassigned',
        { version: 3, breachedAt: breached.state.breachedAt, assigneeId: dan.id, placedByHand: true },
        { actorId: ada.id },
      );
      await record(moved);
      expect(await render(created.eventId, cara)).toEqual({ skip: 'the task has moved to someone else' });
      expect(await render(moved.eventId, dan)).toHaveProperty('notification');
      // A breach concerns the supervisors still, whoever has the task now.
      expect(await render(breached.eventId, ada)).toHaveProperty('notification');

      await record(
        change(
          task,
          'closed',
          { version: 4, assigneeId: dan.id, status: 'closed', outcome: 'Done', endedAt: Date.now(), endedById: dan.id },
          { actorId: dan.id },
        ),
      );
      expect(await render(moved.eventId, dan)).toEqual({ skip: 'the chat request is closed' });
      expect(await render(breached.eventId, ada)).toEqual({ skip: 'the chat request is closed' });
    });
  });
});
