import { WorkflowExecutionStatusName } from '@temporalio/client';
import { createOrganization, eventually, fieldsOf, secondsFromNow, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { addNamedUser, postReply, type NamedUser } from '../support/conversations.js';
import { recordHistory } from '../support/histories.js';
import { Platform } from '../support/platform.js';

/**
 * Chat requests end to end: the API and worker as processes, on a real PostgreSQL and a real Temporal dev
 * server. A member asks for a chat; the request is a task in their care manager's queue (or their cover's),
 * run by its own workflow, until the care manager closes it or the member cancels it.
 */
describe('chat requests (end to end)', () => {
  let platform: Platform;
  let org: TestOrganization;
  let other: TestOrganization;
  let sam: NamedUser; // care manager in Diabetes Care
  let dana: NamedUser; // care manager in Heart Health, covers for Sam
  let uma: NamedUser; // staff, unrelated to these members
  let sue: NamedUser; // supervisor
  let mia: NamedUser; // member of Diabetes Care only
  let max: NamedUser; // member of both programs
  let nia: NamedUser; // member of Diabetes Care, for the coverage cases
  let otto: NamedUser; // another organisation's member
  let diabetes: string;
  let heart: string;
  let medication: { id: string; label: string };
  let billing: { id: string; label: string };
  let retired: string;

  beforeAll(async () => {
    platform = await new Platform().start();
    [org, other] = await Promise.all([createOrganization(platform.baseUrl), createOrganization(platform.baseUrl)]);
    [sam, dana, uma, sue, mia, max, nia, otto] = await Promise.all([
      addNamedUser(org, 'staff', 'Sam Park'),
      addNamedUser(org, 'staff', 'Dana Lee'),
      addNamedUser(org, 'staff', 'Uma Unrelated'),
      addNamedUser(org, 'staff', 'Sue Supervisor'),
      addNamedUser(org, 'member', 'Mia Member'),
      addNamedUser(org, 'member', 'Max Member'),
      addNamedUser(org, 'member', 'Nia Member'),
      addNamedUser(other, 'member', 'Otto Elsewhere'),
    ]);
    const created = async (path: string, body: Record<string, unknown>) => {
      const response = await org.admin.post(path, body);
      expect(response).toMatchObject({ status: 201 });
      return response.body;
    };
    diabetes = (await created('/v1/programs', { name: 'Diabetes Care' })).id;
    heart = (await created('/v1/programs', { name: 'Heart Health' })).id;
    await created(`/v1/programs/${diabetes}/enrollments`, { memberId: mia.id, careManagerId: sam.id });
    await created(`/v1/programs/${diabetes}/enrollments`, { memberId: max.id, careManagerId: sam.id });
    await created(`/v1/programs/${heart}/enrollments`, { memberId: max.id, careManagerId: dana.id });
    await created(`/v1/programs/${diabetes}/enrollments`, { memberId: nia.id, careManagerId: sam.id });
    medication = await created('/v1/chat-request-reasons', { label: 'Medication question' });
    billing = await created('/v1/chat-request-reasons', { label: 'Billing' });
    retired = (await created('/v1/chat-request-reasons', { label: 'Old reason', active: false })).id;
    const team = await created('/v1/teams', { name: 'Supervisors' });
    expect(await org.admin.post(`/v1/teams/${team.id}/members`, { userId: sue.id })).toMatchObject({ status: 200 });
    expect(
      await org.admin.patch('/v1/organization/settings', { chatRequests: { supervisorTeamId: team.id, firstResponseMinutes: 60, escalateAfterMinutes: 120 } }),
    ).toMatchObject({
      status: 200,
    });
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const request = (member: NamedUser, body: Record<string, unknown> = {}) =>
    member.api.post('/v1/me/chat-requests', { reasonId: medication.id, comment: 'My new prescription makes me dizzy', ...body });
  const opened = async (member: NamedUser, body: Record<string, unknown> = {}) => {
    const response = await request(member, body);
    expect(response).toMatchObject({ status: 201 });
    return response.body as { id: string; chatId: string; [key: string]: any };
  };
  const queueOf = async (user: NamedUser, query = '') => {
    const response = await user.api.get(`/v1/tasks?assignee=me${query}`);
    expect(response).toMatchObject({ status: 200 });
    return response.body.items as Array<{ id: string; [key: string]: any }>;
  };
  const task = async (id: string) => (await org.admin.get(`/v1/tasks/${id}`)).body;
  const workflowOf = (id: string) => platform.client.workflow.getHandle(`chat-request-${id}`);
  const ended = async (id: string) =>
    eventually(async () => {
      const { status } = await workflowOf(id).describe();
      expect(status.name).toBe<WorkflowExecutionStatusName>('COMPLETED');
      return status.name;
    });
  const close = (user: NamedUser, id: string) => user.api.post(`/v1/tasks/${id}/close`, { outcome: 'Talked it through; dose adjusted' });

  test('a member asks for a chat: the task is in their care manager queue, due in the response time, and the care manager is told', async () => {
    const before = Date.now();
    const created = await opened(mia);
    expect(created).toEqual({
      id: expect.any(String),
      status: 'open',
      program: { id: diabetes, name: 'Diabetes Care' },
      reason: { id: medication.id, label: 'Medication question' },
      comment: 'My new prescription makes me dizzy',
      assignee: { id: sam.id, name: 'Sam Park' },
      covering: false,
      createdAt: expect.any(String),
      chatId: expect.any(String),
    });
    const [confirmation] = (await mia.api.get('/v1/me/chat-requests?status=open')).body.items;
    expect(confirmation).toEqual(created);

    const queued = (await queueOf(sam)).find((item) => item.id === created.id)!;
    expect(queued).toMatchObject({
      kind: 'chat_request',
      status: 'open',
      member: { id: mia.id, name: 'Mia Member' },
      program: { id: diabetes, name: 'Diabetes Care' },
      reason: { label: 'Medication question' },
      assignee: { id: sam.id, name: 'Sam Park' },
      breached: false,
      escalated: false,
      claimedAt: null,
      chatId: created.chatId,
    });
    const dueIn = new Date(queued.dueAt).getTime() - new Date(created.createdAt).getTime();
    expect(dueIn).toBe(60 * 60_000);
    expect(new Date(created.createdAt).getTime()).toBeGreaterThanOrEqual(before - 5_000);

    // Sam is notified through the delivery ledger: privacy mode says only that a request waits.
    const [sent] = await eventually(async () => {
      const rows = await platform.query<{ status: string; channel: string }>(
        `select d.status, d.channel from delivery d join chat_request_event e on e.id = d.subject_id
          where e.chat_request_id = $1 and d.recipient_id = $2 and d.kind = 'task_assigned'`,
        [created.id, sam.id],
      );
      expect(rows).toEqual([{ status: 'sent', channel: 'email' }]);
      return rows;
    });
    expect(sent.channel).toBe('email');

    // Engineers find the workflow by member, care manager or program in the Temporal UI.
    for (const query of [`TidingsMemberId = "${mia.id}"`, `TidingsAssigneeId = "${sam.id}"`, `TidingsProgramId = "${diabetes}"`]) {
      await eventually(async () => {
        const ids: string[] = [];
        for await (const execution of platform.client.workflow.list({ query })) ids.push(execution.workflowId);
        expect(ids).toContain(`chat-request-${created.id}`);
      });
    }
    await mia.api.post(`/v1/me/chat-requests/${created.id}/cancel`);
  });

  test("the Request a Chat form: the organisation's intro, the member's programs with the default, and only active reasons", async () => {
    expect(await org.admin.patch('/v1/organization/settings', { chatRequests: { intro: 'Your care manager answers within a business day.' } })).toMatchObject({
      status: 200,
    });
    const form = (await mia.api.get('/v1/me/chat-request-form')).body;
    expect(form).toEqual({
      intro: 'Your care manager answers within a business day.',
      programs: [{ id: diabetes, name: 'Diabetes Care', careManager: { id: sam.id, name: 'Sam Park' } }],
      defaultProgramId: diabetes,
      reasons: [
        { id: medication.id, label: 'Medication question' },
        { id: billing.id, label: 'Billing' },
      ],
    });
    expect((await max.api.get('/v1/me/chat-request-form')).body).toMatchObject({ defaultProgramId: null, programs: [{ id: diabetes }, { id: heart }] });
    expect(await sam.api.get('/v1/me/chat-request-form')).toMatchObject({ status: 403 });
  });

  test('the care manager replies in the chat: the member sees an unread chat with their name, and the response clock stops', async () => {
    const created = await opened(mia, { comment: 'Can we talk about my sugar readings?' });
    expect((await mia.api.get('/v1/me/chats/unread')).body).toEqual({ hasUnread: false, count: 0 });
    await postReply(sam.api, created.chatId, '<p>Hi Mia, happy to help.</p>');

    const chats = (await mia.api.get('/v1/me/chats')).body.items;
    expect(chats).toEqual([
      {
        id: created.chatId,
        careManager: { id: sam.id, name: 'Sam Park' },
        program: { id: diabetes, name: 'Diabetes Care' },
        preview: 'Hi Mia, happy to help.',
        lastUpdatedAt: expect.any(String),
        unreadCount: 1,
      },
    ]);
    expect((await mia.api.get('/v1/me/chats/unread')).body).toEqual({ hasUnread: true, count: 1 });
    // Chats are not in the secure-conversations inbox.
    expect((await mia.api.get('/v1/conversations')).body.items.map((item: { id: string }) => item.id)).not.toContain(created.chatId);

    await eventually(async () => expect((await task(created.id)).firstResponseAt).not.toBeNull());
    // The workflow hears of it through the outbox, a moment after the mirror row the reply's transaction wrote.
    await eventually(async () =>
      expect((await workflowOf(created.id).query('taskState')) as { firstResponseAt: number | null }).toMatchObject({ firstResponseAt: expect.any(Number) }),
    );

    // The member's reply is not a response; reading the chat clears the dot.
    await postReply(mia.api, created.chatId, '<p>Thanks!</p>');
    expect((await mia.api.post(`/v1/conversations/${created.chatId}/read`)).status).toBeLessThan(300);
    expect((await mia.api.get('/v1/me/chats/unread')).body).toEqual({ hasUnread: false, count: 0 });
    expect(await close(sam, created.id)).toMatchObject({ status: 200 });
  });

  test('changing the reason keeps the response clock; the member may not change it once closed', async () => {
    const created = await opened(mia);
    const before = await task(created.id);
    const changed = await mia.api.patch(`/v1/me/chat-requests/${created.id}`, { reasonId: billing.id, comment: 'Actually it is about a bill' });
    expect(changed).toMatchObject({
      status: 200,
      body: { reason: { id: billing.id, label: 'Billing' }, comment: 'Actually it is about a bill', status: 'open' },
    });
    const after = await task(created.id);
    expect(after.dueAt).toBe(before.dueAt);
    expect(after.reason).toEqual({ id: billing.id, label: 'Billing' });

    expect(await close(sam, created.id)).toMatchObject({ status: 200, body: { status: 'closed', outcome: 'Talked it through; dose adjusted' } });
    const late = await mia.api.patch(`/v1/me/chat-requests/${created.id}`, { reasonId: medication.id });
    expect(late).toMatchObject({ status: 409, body: { current: { id: created.id, status: 'closed' } } });
    expect((await mia.api.get('/v1/me/chat-requests?status=open')).body.items).toEqual([]);
    // The chat stays.
    expect((await mia.api.get('/v1/me/chats')).body.items.map((chat: { id: string }) => chat.id)).toContain(created.chatId);
    await ended(created.id);
    await recordHistory(platform.temporal.address, `chat-request-${created.id}`, 'chat-request-reason-changed-then-closed');
  });

  test("a member's cancel racing the care manager's close: exactly one wins, the other is told the request's state", async () => {
    for (let round = 0; round < 3; round++) {
      const created = await opened(mia);
      const [cancelled, closed] = await Promise.all([mia.api.post(`/v1/me/chat-requests/${created.id}/cancel`), close(sam, created.id)]);
      expect([cancelled.status, closed.status].sort()).toEqual([200, 409]);
      const winner = cancelled.status === 200 ? 'cancelled' : 'closed';
      const loser = cancelled.status === 409 ? cancelled : closed;
      expect(loser.body.current).toMatchObject({ id: created.id, status: winner });
      expect((await task(created.id)).status).toBe(winner);
      await ended(created.id);
      if (round === 0) await recordHistory(platform.temporal.address, `chat-request-${created.id}`, `chat-request-${winner}`);
    }
  });

  test('claiming and reassigning: who may, and where the chat goes', async () => {
    const created = await opened(mia);
    expect(await uma.api.post(`/v1/tasks/${created.id}/claim`)).toMatchObject({ status: 403 });
    const claimed = await sam.api.post(`/v1/tasks/${created.id}/claim`);
    expect(claimed).toMatchObject({ status: 200, body: { assignee: { id: sam.id }, claimedAt: expect.any(String) } });

    expect(await uma.api.post(`/v1/tasks/${created.id}/reassign`, { assigneeId: uma.id })).toMatchObject({ status: 403 });
    expect(fieldsOf(await sue.api.post(`/v1/tasks/${created.id}/reassign`, { assigneeId: mia.id }))).toEqual(['assigneeId']);
    const reassigned = await sue.api.post(`/v1/tasks/${created.id}/reassign`, { assigneeId: uma.id });
    expect(reassigned).toMatchObject({ status: 200, body: { assignee: { id: uma.id, name: 'Uma Unrelated' }, claimedAt: null } });
    expect(reassigned.body.chatId).not.toBe(created.chatId);
    expect((await queueOf(uma)).map((item) => item.id)).toContain(created.id);
    expect((await queueOf(sam)).map((item) => item.id)).not.toContain(created.id);
    // The member now has a chat with Uma too, and the confirmation names her.
    expect((await mia.api.get(`/v1/me/chat-requests/${created.id}`)).body).toMatchObject({ assignee: { id: uma.id }, chatId: reassigned.body.chatId });
    expect((await mia.api.get('/v1/me/chats')).body.items.map((chat: { careManager: { name: string } }) => chat.careManager.name)).toContain('Uma Unrelated');

    expect(await sam.api.post(`/v1/tasks/${created.id}/close`, { outcome: 'not mine' })).toMatchObject({ status: 403 });
    expect(await close(uma, created.id)).toMatchObject({ status: 200 });
    await ended(created.id);
  });

  test('while the care manager is away, a new request goes to their cover, who the member is told about in the chat', async () => {
    const away = await sam.api.post('/v1/coverage', { userId: sam.id, coveredById: dana.id, from: secondsFromNow(-60), until: secondsFromNow(3600) });
    expect(away).toMatchObject({ status: 201 });
    try {
      const created = await opened(nia);
      expect(created).toMatchObject({ assignee: { id: dana.id, name: 'Dana Lee' }, covering: true });
      expect((await queueOf(dana)).map((item) => item.id)).toContain(created.id);
      const chat = await eventually(async () => {
        const view = (await nia.api.get(`/v1/conversations/${created.chatId}`)).body;
        expect(view.messages).toEqual([
          // A notice from Tidings, which the portal shows apart from what people wrote.
          expect.objectContaining({ system: true, bodyText: expect.stringMatching(/^Dana Lee is covering for Sam Park until \d{1,2} [A-Z][a-z]{2}$/) }),
        ]);
        return view;
      });
      expect(chat.participants.map((p: { userId: string }) => p.userId).sort()).toEqual([dana.id, nia.id].sort());
      // Dana covers: she may claim it; Sam, its owner, is away and it is not his to close.
      expect(await dana.api.post(`/v1/tasks/${created.id}/claim`)).toMatchObject({ status: 200 });
      expect(await close(dana, created.id)).toMatchObject({ status: 200 });
    } finally {
      expect(await sam.api.delete(`/v1/coverage/${away.body.id}`)).toMatchObject({ status: 204 });
    }
  });

  test('an away period starting moves unclaimed tasks to the cover, and its end brings them back', async () => {
    const unclaimed = await opened(nia);
    const claimedByMax = await opened(max, { programId: diabetes });
    expect(await sam.api.post(`/v1/tasks/${claimedByMax.id}/claim`)).toMatchObject({ status: 200 });

    const away = await sam.api.post('/v1/coverage', { userId: sam.id, coveredById: dana.id, from: secondsFromNow(2), until: secondsFromNow(8) });
    expect(away).toMatchObject({ status: 201 });
    await eventually(async () => expect(await task(unclaimed.id)).toMatchObject({ assignee: { id: dana.id }, covering: true }), 20_000);
    expect(await task(claimedByMax.id)).toMatchObject({ assignee: { id: sam.id } });
    const covering = (await task(unclaimed.id)).chatId;
    await eventually(async () => {
      const messages = (await nia.api.get(`/v1/conversations/${covering}`)).body.messages.map((m: { bodyText: string }) => m.bodyText);
      expect(messages).toContainEqual(expect.stringMatching(/^Dana Lee is covering for Sam Park until /));
    });
    // The period ends on the workflow's own timer: the task returns to Sam, with the chat.
    await eventually(
      async () => expect(await task(unclaimed.id)).toMatchObject({ assignee: { id: sam.id }, covering: false, chatId: unclaimed.chatId }),
      20_000,
    );

    for (const id of [unclaimed.id, claimedByMax.id]) expect(await close(sam, id)).toMatchObject({ status: 200 });
    await ended(unclaimed.id);
    await recordHistory(platform.temporal.address, `chat-request-${unclaimed.id}`, 'chat-request-covered-and-returned');
  });

  test("removing an away period returns the cover's unclaimed tasks at once", async () => {
    const created = await opened(nia);
    const away = await sam.api.post('/v1/coverage', { userId: sam.id, coveredById: dana.id, from: secondsFromNow(1), until: secondsFromNow(3600) });
    await eventually(async () => expect(await task(created.id)).toMatchObject({ assignee: { id: dana.id } }), 20_000);
    expect(await sam.api.delete(`/v1/coverage/${away.body.id}`)).toMatchObject({ status: 204 });
    await eventually(async () => expect(await task(created.id)).toMatchObject({ assignee: { id: sam.id }, covering: false }), 20_000);
    expect(await close(sam, created.id)).toMatchObject({ status: 200 });
  });

  test("changing an enrolment's care manager moves its open task to the new one", async () => {
    const created = await opened(max, { programId: heart });
    expect(created.assignee).toEqual({ id: dana.id, name: 'Dana Lee' });
    const [enrollment] = (await org.admin.get(`/v1/programs/${heart}/enrollments`)).body.items.filter(
      (e: { member: { id: string } }) => e.member.id === max.id,
    );
    expect(await org.admin.patch(`/v1/enrollments/${enrollment.id}`, { careManagerId: uma.id })).toMatchObject({ status: 200 });
    await eventually(async () => expect(await task(created.id)).toMatchObject({ owner: { id: uma.id }, assignee: { id: uma.id } }), 20_000);
    expect(await close(uma, created.id)).toMatchObject({ status: 200 });
    expect(await org.admin.patch(`/v1/enrollments/${enrollment.id}`, { careManagerId: dana.id })).toMatchObject({ status: 200 });
  });

  describe('bad input is refused, naming the field, and writes nothing', () => {
    const count = async () => (await platform.query<{ n: number }>(`select count(*)::int as n from chat_request`))[0].n;

    test.each([
      ['an unknown reason', () => request(mia, { reasonId: UNKNOWN_ID }), 422, 'reasonId'],
      ['an inactive reason', () => request(mia, { reasonId: retired }), 422, 'reasonId'],
      ['a program the member is not in', () => request(mia, { programId: heart }), 422, 'programId'],
      ['no program with several', () => request(max), 422, 'programId'],
      ['a blank comment', () => request(mia, { comment: '   ' }), 400, 'comment'],
      ['no comment', () => mia.api.post('/v1/me/chat-requests', { reasonId: medication.id }), 400, 'comment'],
      ['a comment over 2,000 characters', () => request(mia, { comment: 'x'.repeat(2001) }), 400, 'comment'],
    ])('%s', async (_case, call, status, field) => {
      const before = await count();
      const response = await call();
      expect(response.status).toBe(status);
      expect(fieldsOf(response)).toEqual([field]);
      expect(await count()).toBe(before);
    });

    test('one open request per program', async () => {
      const created = await opened(mia);
      expect(await request(mia)).toMatchObject({ status: 409 });
      await mia.api.post(`/v1/me/chat-requests/${created.id}/cancel`);
    });

    test('who may call what', async () => {
      const created = await opened(mia);
      expect(await sam.api.post('/v1/me/chat-requests', { reasonId: medication.id, comment: 'hi' })).toMatchObject({ status: 403 });
      expect(await mia.api.get('/v1/tasks')).toMatchObject({ status: 403 });
      expect(await max.api.patch(`/v1/me/chat-requests/${created.id}`, { reasonId: billing.id })).toMatchObject({ status: 404 });
      expect(await max.api.post(`/v1/me/chat-requests/${created.id}/cancel`)).toMatchObject({ status: 404 });
      expect(await otto.api.get(`/v1/me/chat-requests/${created.id}`)).toMatchObject({ status: 404 });
      expect(await uma.api.get(`/v1/tasks?assignee=${sam.id}`)).toMatchObject({ status: 403 });
      expect((await sue.api.get(`/v1/tasks?assignee=${sam.id}`)).body.items.map((item: { id: string }) => item.id)).toContain(created.id);
      const noOutcome = await sam.api.post(`/v1/tasks/${created.id}/close`, {});
      expect(noOutcome.status).toBe(400);
      expect(fieldsOf(noOutcome)).toEqual(['outcome']);
      expect((await task(created.id)).status).toBe('open');
      await mia.api.post(`/v1/me/chat-requests/${created.id}/cancel`);
    });
  });
});
