import { CreateChatRequestDto } from '../../chat-request.dto.js';
import {
  ChatRequestsWithoutTemporal,
  seedAwayPeriod,
  seedEnrollment,
  seedProgram,
  seedReason,
  setChatRequestSettings,
  type SeededProgram,
} from '../../../../test/support/chat-request-use-cases.js';
import { count, refusal, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { CreateChatRequest } from './create-chat-request.usecase.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

interface StartCommand {
  kind: string;
  workflowType: string;
  workflowId: string;
  args: Array<{ chatRequestId: string; ownerId: string; assigneeId: string; ownerAwayPeriods: unknown[]; dueAt: number; escalateAt: number }>;
}

describe('CreateChatRequest', () => {
  let db: TestDatabase;
  let createChatRequest: CreateChatRequest;
  let organizationId: string;
  let cara: SeededUser; // Mia's care manager
  let cora: SeededUser; // a care manager who is away, covered by Dan
  let dan: SeededUser;
  let sam: SeededUser;
  let diabetes: SeededProgram;
  let heart: SeededProgram;
  let reason: { id: string; label: string };
  let retiredReason: { id: string; label: string };
  let foreignReason: { id: string; label: string };

  beforeAll(async () => {
    db = await TestDatabase.create();
    createChatRequest = (await db.module(ChatRequestsWithoutTemporal)).get(CreateChatRequest);
    organizationId = await seedOrganization(db); // the default settings: first response within 60 minutes, escalation after 240
    [cara, cora, dan, sam] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Cara Care'),
      seedUser(db, organizationId, 'staff', 'Cora Away'),
      seedUser(db, organizationId, 'staff', 'Dan Duty'),
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
    ]);
    [diabetes, heart] = await Promise.all([seedProgram(db, organizationId, 'Diabetes'), seedProgram(db, organizationId, 'Heart health')]);
    reason = await seedReason(db, organizationId, 'Medication question');
    retiredReason = await seedReason(db, organizationId, 'Old reason', false);
    foreignReason = await seedReason(db, await seedOrganization(db), 'Medication question');
  });

  afterAll(() => db?.drop());

  async function member(name: string, ...enrollments: Array<[SeededProgram, SeededUser]>): Promise<SeededUser> {
    const user = await seedUser(db, organizationId, 'member', name);
    for (const [program, careManager] of enrollments) await seedEnrollment(db, program, user, careManager);
    return user;
  }
  const create = (caller: SeededUser, dto: Partial<CreateChatRequestDto> = {}) =>
    db.request(() =>
      createChatRequest.execute(caller, Object.assign(new CreateChatRequestDto(), { reasonId: reason.id, comment: 'My new pills make me dizzy', ...dto })),
    );
  const requestRow = async (id: string) =>
    (
      await db.query<{
        owner_id: string;
        assignee_id: string;
        covering: boolean;
        chat_id: string;
        status: string;
        created_at: Date;
        due_at: Date;
        escalate_at: Date;
      }>(`select owner_id, assignee_id, covering, chat_id, status, created_at, due_at, escalate_at from chat_request where id = ?`, [id])
    )[0];
  const starts = (id: string) => db.query<{ command: StartCommand }>(`select command from workflow_outbox where workflow_id = ?`, [`chat-request-${id}`]);
  const participants = (chatId: string) =>
    db.query(`select user_id, kind, left_at from conversation_participant where conversation_id = ? order by user_id`, [chatId]);
  /** Everything a request writes. */
  const written = async () => ({
    requests: await count(db, 'chat_request'),
    chats: await count(db, 'conversation'),
    participants: await count(db, 'conversation_participant'),
    outbox: await count(db, 'workflow_outbox'),
    audit: await count(db, 'audit_event'),
  });

  it("creates the request for the enrolment's care manager, with their chat, the workflow's start in the outbox and an audit entry", async () => {
    const mia = await member('Mia Member', [diabetes, cara]);

    const view = await create(mia);

    const row = await requestRow(view.id);
    expect(view).toEqual({
      id: expect.any(String),
      status: 'open',
      program: { id: diabetes.id, name: 'Diabetes' },
      reason: { id: reason.id, label: 'Medication question' },
      comment: 'My new pills make me dizzy',
      assignee: { id: cara.id, name: 'Cara Care' },
      covering: false,
      createdAt: new Date(row.created_at),
      chatId: row.chat_id,
    });
    expect(row).toMatchObject({ owner_id: cara.id, assignee_id: cara.id, covering: false, status: 'open' });
    const createdAt = new Date(row.created_at).getTime();
    expect(new Date(row.due_at).getTime()).toBe(createdAt + 60 * MINUTE);
    expect(new Date(row.escalate_at).getTime()).toBe(createdAt + 240 * MINUTE);

    expect(
      await db.query(`select kind, status, subject, chat_member_id, chat_care_manager_id, program_id from conversation where id = ?`, [view.chatId]),
    ).toEqual([{ kind: 'chat', status: 'open', subject: 'Diabetes', chat_member_id: mia.id, chat_care_manager_id: cara.id, program_id: diabetes.id }]);
    expect(await participants(view.chatId)).toEqual([mia.id, cara.id].sort().map((user_id) => ({ user_id, kind: 'to', left_at: null })));

    expect(await starts(view.id)).toEqual([
      {
        command: expect.objectContaining({
          kind: 'start',
          workflowType: 'chatRequest',
          workflowId: `chat-request-${view.id}`,
          args: [
            {
              chatRequestId: view.id,
              ownerId: cara.id,
              assigneeId: cara.id,
              ownerAwayPeriods: [],
              dueAt: createdAt + 60 * MINUTE,
              escalateAt: createdAt + 240 * MINUTE,
            },
          ],
        }),
      },
    ]);
    expect(await db.query(`select actor_id, action, subject_type, details from audit_event where subject_id = ?`, [view.id])).toEqual([
      { actor_id: mia.id, action: 'chat_request.created', subject_type: 'chat_request', details: { programId: diabetes.id, reasonId: reason.id } },
    ]);
  });

  it('asks again in the same chat once the first request is closed', async () => {
    const mia = await member('Mia Again', [diabetes, cara]);
    const first = await create(mia);
    await db.query(`update chat_request set status = 'closed', ended_at = now(), outcome = 'Done' where id = ?`, [first.id]);

    const second = await create(mia, { comment: 'Dizzy again' });

    expect(second.id).not.toBe(first.id);
    expect(second.chatId).toBe(first.chatId);
    expect(await count(db, `conversation where kind = 'chat' and chat_member_id = ?`, [mia.id])).toBe(1);
    expect(await participants(second.chatId)).toHaveLength(2);
    expect(await starts(second.id)).toHaveLength(1);
  });

  it('gives the task to whoever covers while the care manager is away, and hands the workflow her away periods that have not ended', async () => {
    const now = Date.now();
    const current = await seedAwayPeriod(db, cora, dan, new Date(now - 60 * MINUTE), new Date(now + 3 * DAY));
    const next = await seedAwayPeriod(db, cora, sam, new Date(now + 5 * DAY), new Date(now + 6 * DAY));
    await seedAwayPeriod(db, cora, sam, new Date(now - 10 * DAY), new Date(now - DAY));
    const mo = await member('Mo Member', [heart, cora]);

    const view = await create(mo);

    expect(view).toMatchObject({ assignee: { id: dan.id, name: 'Dan Duty' }, covering: true });
    expect(await requestRow(view.id)).toMatchObject({ owner_id: cora.id, assignee_id: dan.id, covering: true });
    // The chat is with the one who answers now.
    expect(await db.query(`select chat_member_id, chat_care_manager_id from conversation where id = ?`, [view.chatId])).toEqual([
      { chat_member_id: mo.id, chat_care_manager_id: dan.id },
    ]);
    expect(await participants(view.chatId)).toEqual([mo.id, dan.id].sort().map((user_id) => ({ user_id, kind: 'to', left_at: null })));
    const [{ command }] = await starts(view.id);
    expect(command.args[0]).toMatchObject({
      ownerId: cora.id,
      assigneeId: dan.id,
      ownerAwayPeriods: [
        { id: current, userId: cora.id, coveredById: dan.id, startsAt: now - 60 * MINUTE, endsAt: now + 3 * DAY },
        { id: next, userId: cora.id, coveredById: sam.id, startsAt: now + 5 * DAY, endsAt: now + 6 * DAY },
      ],
    });
  });

  it("counts the response and escalation times in the organisation's business hours", async () => {
    const otherOrganizationId = await seedOrganization(db);
    const bea = await seedUser(db, otherOrganizationId, 'staff', 'Bea Care');
    const program = await seedProgram(db, otherOrganizationId, 'Diabetes');
    const bo = await seedUser(db, otherOrganizationId, 'member', 'Bo Member');
    await seedEnrollment(db, program, bo, bea);
    const otherReason = await seedReason(db, otherOrganizationId, 'Billing');
    // Half an hour a day, every day, starting twelve hours from now (UTC): the request is made outside it.
    const opens = (new Date().getUTCHours() + 12) % 24;
    const hh = String(opens).padStart(2, '0');
    await setChatRequestSettings(db, otherOrganizationId, {
      firstResponseMinutes: 15,
      escalateAfterMinutes: 45,
      businessHours: { timezone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: `${hh}:00`, end: `${hh}:30` },
    });

    const view = await create(bo, { reasonId: otherReason.id });

    const row = await requestRow(view.id);
    const createdAt = new Date(row.created_at);
    let windowOpens = Date.UTC(createdAt.getUTCFullYear(), createdAt.getUTCMonth(), createdAt.getUTCDate(), opens);
    if (windowOpens <= createdAt.getTime()) windowOpens += DAY;
    // 15 minutes into the next window; 45 are that window's 30 and 15 of the one a day later.
    expect(new Date(row.due_at).getTime()).toBe(windowOpens + 15 * MINUTE);
    expect(new Date(row.escalate_at).getTime()).toBe(windowOpens + DAY + 15 * MINUTE);
    const [{ command }] = await starts(view.id);
    expect(command.args[0]).toMatchObject({ dueAt: windowOpens + 15 * MINUTE, escalateAt: windowOpens + DAY + 15 * MINUTE });
  });

  describe('refuses, writing nothing', () => {
    let milo: SeededUser; // enrolled in two programs

    beforeAll(async () => {
      milo = await member('Milo Member', [diabetes, cara], [heart, dan]);
    });

    async function refused(call: () => Promise<unknown>) {
      const before = await written();
      const answer = await refusal(call());
      expect(await written()).toEqual(before);
      return answer;
    }

    it('a reason that is unknown, of another organisation, or no longer offered (422 reasonId)', async () => {
      const mia = await member('Mia Refused', [diabetes, cara]);
      const unknown = { status: 422, message: 'reasonId: is not a reason of your organization' };
      expect(await refused(() => create(mia, { reasonId: crypto.randomUUID() }))).toEqual(unknown);
      expect(await refused(() => create(mia, { reasonId: foreignReason.id }))).toEqual(unknown);
      expect(await refused(() => create(mia, { reasonId: retiredReason.id }))).toEqual({
        status: 422,
        message: 'reasonId: is no longer offered; choose an active reason',
      });
    });

    it('a program the member is not enrolled in, or none given when they are in several (422 programId)', async () => {
      const mia = await member('Mia Diabetes', [diabetes, cara]);
      expect(await refused(() => create(mia, { programId: heart.id }))).toEqual({ status: 422, message: 'programId: is not a program you are enrolled in' });
      expect(await refused(() => create(milo))).toEqual({ status: 422, message: 'programId: is required: you are enrolled in several programs' });
      const unenrolled = await member('Una Unenrolled');
      expect(await refused(() => create(unenrolled))).toEqual({ status: 422, message: 'programId: you are not enrolled in any program' });
    });

    it('a second open request in the same program (409); another program is fine', async () => {
      await create(milo, { programId: diabetes.id });

      expect(await refused(() => create(milo, { programId: diabetes.id, comment: 'Still waiting' }))).toEqual({
        status: 409,
        message: 'you already have an open chat request in this program; change its reason or cancel it',
      });
      expect(await create(milo, { programId: heart.id })).toMatchObject({ program: { id: heart.id }, assignee: { id: dan.id } });
    });
  });
});
