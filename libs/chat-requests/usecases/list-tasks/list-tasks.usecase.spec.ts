import { ListTasksQuery } from '../../chat-request.dto.js';
import {
  ChatRequestsWithoutTemporal,
  seedChatRequest,
  seedProgram,
  seedTeam,
  setChatRequestSettings,
  type SeededProgram,
} from '../../../../test/support/chat-request-use-cases.js';
import { refusal, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { ListTasks } from './list-tasks.usecase.js';

const MINUTE = 60_000;

describe('ListTasks', () => {
  let db: TestDatabase;
  let listTasks: ListTasks;
  let cara: SeededUser; // staff, a care manager with a full queue
  let dan: SeededUser; // staff, whose escalated task supervisors see
  let sue: SeededUser; // staff in the supervisor team
  let sam: SeededUser; // staff in another team: no supervisor
  let ada: SeededUser; // admin: a supervisor
  let bea: SeededUser; // admin of another organisation
  let diabetes: SeededProgram;
  let heart: SeededProgram;
  /** Cara's open tasks, soonest due first: `late` is past due (breached), `tieLow` and `tieHigh` are due together. */
  const open: Record<'late' | 'soon' | 'tieLow' | 'tieHigh' | 'later', string> = { late: '', soon: '', tieLow: '', tieHigh: '', later: '' };
  let closedOld: string;
  let closedNewest: string;
  let cancelled: string;
  let danPlain: string;
  let danEscalated: string;
  let sueOwn: string;
  let otherEscalated: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    listTasks = (await db.module(ChatRequestsWithoutTemporal)).get(ListTasks);
    const organizationId = await seedOrganization(db);
    [cara, dan, sue, sam, ada] = await Promise.all([
      seedUser(db, organizationId, 'staff', 'Cara Care'),
      seedUser(db, organizationId, 'staff', 'Dan Duty'),
      seedUser(db, organizationId, 'staff', 'Sue Supervisor'),
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
      seedUser(db, organizationId, 'admin', 'Ada Admin'),
    ]);
    const supervisorTeamId = await seedTeam(db, organizationId, 'Supervisors', [sue]);
    await seedTeam(db, organizationId, 'Night shift', [sam]);
    await setChatRequestSettings(db, organizationId, { supervisorTeamId });
    [diabetes, heart] = await Promise.all([seedProgram(db, organizationId, 'Diabetes'), seedProgram(db, organizationId, 'Heart health')]);

    // One member per task: a member has one open request per program.
    const member = (name: string) => seedUser(db, organizationId, 'member', name);
    const base = Date.now();
    const at = (minutes: number) => new Date(base + minutes * MINUTE);
    const task = async (owner: SeededUser, program: SeededProgram, options: Omit<Parameters<typeof seedChatRequest>[1], 'member' | 'owner' | 'program'>) =>
      (await seedChatRequest(db, { member: await member(`Member of ${owner.name}`), owner, program, ...options })).id;

    open.later = await task(cara, diabetes, { dueAt: at(60), createdAt: at(-1) });
    open.soon = await task(cara, heart, { dueAt: at(10), createdAt: at(-50) });
    const ties = [await task(cara, diabetes, { dueAt: at(20), createdAt: at(-40) }), await task(cara, diabetes, { dueAt: at(20), createdAt: at(-41) })].sort();
    [open.tieLow, open.tieHigh] = ties;
    open.late = await task(cara, diabetes, { dueAt: at(-30), createdAt: at(-90), breachedAt: at(-30) });
    closedOld = await task(cara, diabetes, { status: 'closed', createdAt: at(-3 * 24 * 60) });
    closedNewest = await task(cara, heart, { status: 'closed', createdAt: at(-120) });
    cancelled = await task(cara, diabetes, { status: 'cancelled', createdAt: at(-60) });

    danPlain = await task(dan, diabetes, { dueAt: at(5) });
    danEscalated = await task(dan, diabetes, { dueAt: at(-200), createdAt: at(-300), breachedAt: at(-200), escalatedAt: at(-60) });
    await task(dan, diabetes, { status: 'closed', createdAt: at(-200), breachedAt: at(-100), escalatedAt: at(-50) });
    sueOwn = await task(sue, heart, { dueAt: at(40) });

    const otherOrganizationId = await seedOrganization(db);
    bea = await seedUser(db, otherOrganizationId, 'admin', 'Bea Elsewhere');
    const bob = await seedUser(db, otherOrganizationId, 'staff', 'Bob Elsewhere');
    const otherProgram = await seedProgram(db, otherOrganizationId, 'Diabetes');
    otherEscalated = (
      await seedChatRequest(db, {
        member: await seedUser(db, otherOrganizationId, 'member', 'Max Elsewhere'),
        owner: bob,
        program: otherProgram,
        dueAt: at(1),
        escalatedAt: at(-5),
      })
    ).id;
  });

  afterAll(() => db?.drop());

  const list = (caller: SeededUser, query: Partial<ListTasksQuery> = {}) =>
    db.request(() => listTasks.execute(caller, Object.assign(new ListTasksQuery(), query)));
  const ids = async (caller: SeededUser, query: Partial<ListTasksQuery> = {}) => (await list(caller, query)).items.map((item) => item.id);
  const caraQueue = () => [open.late, open.soon, open.tieLow, open.tieHigh, open.later];

  it('lists the open tasks soonest due first, ties in id order, with the names a care manager needs', async () => {
    const page = await list(cara);

    expect(page.items.map((item) => item.id)).toEqual(caraQueue());
    expect(page.nextCursor).toBeNull();
    expect(page.items[0]).toMatchObject({
      kind: 'chat_request',
      status: 'open',
      program: { id: diabetes.id, name: 'Diabetes' },
      owner: { id: cara.id, name: 'Cara Care' },
      assignee: { id: cara.id, name: 'Cara Care' },
      member: { name: 'Member of Cara Care' },
      reason: { label: 'Medication question' },
      breached: true,
      escalated: false,
    });
    expect(page.items[1]).toMatchObject({ program: { id: heart.id, name: 'Heart health' }, breached: false });
  });

  it('pages through the queue with nextCursor, also where tasks due together straddle two pages', async () => {
    const first = await list(cara, { limit: 3 });
    expect(first.items.map((item) => item.id)).toEqual([open.late, open.soon, open.tieLow]);
    expect(first.nextCursor).toEqual(expect.any(String));

    const second = await list(cara, { limit: 3, cursor: first.nextCursor! });
    expect(second.items.map((item) => item.id)).toEqual([open.tieHigh, open.later]);
    expect(second.nextCursor).toBeNull();

    // A page holding exactly the rest has no next page.
    expect((await list(cara, { limit: 5 })).nextCursor).toBeNull();
    const byTwo: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(cara, { limit: 2, cursor });
      byTwo.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(byTwo).toEqual(caraQueue());
  });

  it('lists closed and cancelled tasks apart, newest first, and pages them', async () => {
    expect(await ids(cara, { status: 'closed' })).toEqual([closedNewest, closedOld]);
    expect(await ids(cara, { status: 'cancelled' })).toEqual([cancelled]);

    const first = await list(cara, { status: 'closed', limit: 1 });
    expect(first.items.map((item) => item.id)).toEqual([closedNewest]);
    expect(first.items[0]).toMatchObject({ status: 'closed', outcome: 'Talked it through', endedAt: expect.any(Date) });
    expect(await list(cara, { status: 'closed', limit: 1, cursor: first.nextCursor! })).toEqual({
      items: [expect.objectContaining({ id: closedOld })],
      nextCursor: null,
    });
  });

  it('filters by program and by whether the first response is overdue', async () => {
    expect(await ids(cara, { programId: heart.id })).toEqual([open.soon]);
    expect(await ids(cara, { programId: diabetes.id })).toEqual([open.late, open.tieLow, open.tieHigh, open.later]);
    expect(await ids(cara, { breached: 'true' })).toEqual([open.late]);
    expect(await ids(cara, { breached: 'false' })).toEqual([open.soon, open.tieLow, open.tieHigh, open.later]);
    expect(await ids(cara, { breached: 'true', programId: heart.id })).toEqual([]);
  });

  it('shows supervisors every open escalated task in their own queue, and plain staff only their own tasks', async () => {
    // Sue is in the team the settings name; Ada is an admin.
    expect(await ids(sue)).toEqual([danEscalated, sueOwn]);
    expect(await ids(ada)).toEqual([danEscalated]);
    expect((await list(ada)).items[0]).toMatchObject({ assignee: { id: dan.id, name: 'Dan Duty' }, escalated: true });
    // A team that is not the supervisor team makes no supervisor.
    expect(await ids(sam)).toEqual([]);
    expect(await ids(dan)).toEqual([danEscalated, danPlain]);
    // Cara's own queue (above) holds no escalated task of Dan's; and a supervisor's closed tasks are only their own.
    expect(await ids(cara)).not.toContain(danEscalated);
    expect(await ids(ada, { status: 'closed' })).toEqual([]);
  });

  it("refuses staff someone else's queue, naming assignee; a supervisor sees exactly that person's tasks", async () => {
    expect(await refusal(list(cara, { assignee: dan.id }))).toEqual({ status: 403, message: "assignee: only supervisors may see someone else's queue" });
    expect(await refusal(list(sam, { assignee: cara.id }))).toEqual({ status: 403, message: "assignee: only supervisors may see someone else's queue" });
    // One's own id is one's own queue.
    expect(await ids(cara, { assignee: cara.id })).toEqual(caraQueue());

    expect(await ids(sue, { assignee: cara.id })).toEqual(caraQueue());
    expect(await ids(ada, { assignee: dan.id.toUpperCase() })).toEqual([danEscalated, danPlain]);
    expect(await ids(sue, { assignee: cara.id, status: 'closed' })).toEqual([closedNewest, closedOld]);
  });

  it("never shows another organisation's tasks", async () => {
    expect(await ids(bea)).toEqual([otherEscalated]);
    expect(await ids(ada)).not.toContain(otherEscalated);
    // Not even by asking for one of its users' queues.
    const [bob] = await db.query<{ id: string }>(`select assignee_id as id from chat_request where id = ?`, [otherEscalated]);
    expect(await ids(ada, { assignee: bob.id })).toEqual([]);
    expect(await ids(bea, { assignee: cara.id })).toEqual([]);
  });
});
