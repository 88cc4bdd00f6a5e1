import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Api, ApiResponse, createOrganization, fieldsOf, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { startConversation } from '../support/conversations.js';
import { Platform } from '../support/platform.js';

type TestUser = { id: string; email: string; api: Api };

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
);
const TEXT = Buffer.from('Policy 7781: renewal quote attached. Grüße ✓\n');

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const NOT_FOUND = { statusCode: 404, error: 'Not Found', message: 'conversation not found', details: [{ field: 'id', message: 'conversation not found' }] };

/**
 * Who may write to whom (members to staff only, the coordinator rule, designated staff and teams), client
 * account scoping, and files in conversations, end to end: the API and worker as processes on a real
 * PostgreSQL and a real Temporal dev server, attachments on a real disk.
 */
describe('conversation rules (end to end)', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tidings-conversation-rules-'));
  let platform: Platform;

  beforeAll(async () => {
    platform = await new Platform({ env: { ATTACHMENTS_DIR: path.join(scratch, 'attachments') } }).start();
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  // ——— helpers ———

  const organization = () => createOrganization(platform.baseUrl);
  const users = (org: TestOrganization, ...roles: Array<'admin' | 'staff' | 'member'>): Promise<TestUser[]> =>
    Promise.all(roles.map((role) => org.addUser(role)));
  const start = (api: Api, body: Record<string, unknown>) => api.post('/v1/conversations', { subject: 'Your policy 7781', body: '<p>Hello</p>', ...body });
  const started = (api: Api, body: Record<string, unknown>) => startConversation(api, { subject: 'Your policy 7781', body: '<p>Hello</p>', ...body });
  const count = async (sql: string, params: unknown[] = []) => (await platform.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params))[0].n;
  /** What a refused start leaves behind: nothing at all. */
  const writes = async () => ({
    conversations: await count('conversation'),
    participants: await count('conversation_participant'),
    messages: await count('conversation_message'),
    started: await count(`audit_event where action = 'conversation.started'`),
  });
  const refusedWithoutWriting = async (attempt: () => Promise<ApiResponse>) => {
    const before = await writes();
    const response = await attempt();
    expect(await writes()).toEqual(before);
    return response;
  };
  const expectRefusal = (response: ApiResponse, status: number, field: string, ...mentions: string[]) => {
    expect(response.status).toBe(status);
    expect(response.body).toEqual({
      statusCode: status,
      error: status === 403 ? 'Forbidden' : 'Unprocessable Entity',
      message: expect.stringContaining(`${field}: `),
      details: [{ field, message: expect.any(String) }],
    });
    for (const mention of mentions) expect(response.body.details[0].message).toContain(mention);
  };
  const participantIds = async (api: Api, id: string) =>
    ((await api.get(`/v1/conversations/${id}`)).body.participants as Array<{ userId: string; kind: string }>).map((p) => `${p.kind}:${p.userId}`).sort();
  const settings = async (org: TestOrganization, patch: Record<string, unknown>) => {
    const response = await org.admin.patch('/v1/organization/settings', patch);
    expect(response.status).toBe(200);
    return response.body;
  };

  describe('members message staff, never other members', () => {
    let org: TestOrganization;
    let staff: TestUser;
    let secondStaff: TestUser;
    let member: TestUser;
    let otherMember: TestUser;

    beforeAll(async () => {
      org = await organization();
      [staff, secondStaff, member, otherMember] = await users(org, 'staff', 'staff', 'member', 'member');
    });

    test('a member naming another member in To or CC gets a 403 naming the field, and nothing is written', async () => {
      const inTo = await refusedWithoutWriting(() => start(member.api, { to: [staff.id, otherMember.id] }));
      expectRefusal(inTo, 403, 'to', 'members may message staff only', otherMember.id);

      const inCc = await refusedWithoutWriting(() => start(member.api, { to: [staff.id], cc: [otherMember.id] }));
      expectRefusal(inCc, 403, 'cc', 'members may message staff only', otherMember.id);

      const alone = await refusedWithoutWriting(() => start(member.api, { to: [otherMember.id] }));
      expectRefusal(alone, 403, 'to', 'members may message staff only');

      expect((await otherMember.api.get('/v1/conversations')).body.items).toEqual([]);
      expect((await staff.api.get('/v1/conversations')).body.items).toEqual([]);
    });

    test('with no rule set, a member starts a conversation with any staff member, who finds it in their inbox', async () => {
      const conversation = await started(member.api, { to: [staff.id], cc: [secondStaff.id], subject: 'Question about my renewal' });
      expect(conversation.participants.map((p: { userId: string; kind: string }) => `${p.kind}:${p.userId}`).sort()).toEqual(
        [`cc:${secondStaff.id}`, `to:${member.id}`, `to:${staff.id}`].sort(),
      );
      for (const reader of [staff, secondStaff]) {
        const inbox = (await reader.api.get('/v1/conversations')).body.items;
        expect(inbox).toContainEqual(
          expect.objectContaining({ id: conversation.id, subject: 'Question about my renewal', lastSender: expect.objectContaining({ id: member.id }) }),
        );
      }
    });

    test('a member cannot add another member to their conversation, in To or CC; adding staff is fine', async () => {
      const conversation = await started(member.api, { to: [staff.id] });
      const before = await participantIds(staff.api, conversation.id);

      expectRefusal(
        await member.api.post(`/v1/conversations/${conversation.id}/participants`, { to: [otherMember.id] }),
        403,
        'to',
        'members may message staff only',
      );
      expectRefusal(
        await member.api.post(`/v1/conversations/${conversation.id}/participants`, { cc: [otherMember.id] }),
        403,
        'cc',
        'members may message staff only',
      );
      expect(await participantIds(staff.api, conversation.id)).toEqual(before);
      expect((await otherMember.api.get(`/v1/conversations/${conversation.id}`)).body).toEqual(NOT_FOUND);

      const addedStaff = await member.api.post(`/v1/conversations/${conversation.id}/participants`, { cc: [secondStaff.id] });
      expect(addedStaff.status).toBe(200);
      expect(await participantIds(staff.api, conversation.id)).toEqual([...before, `cc:${secondStaff.id}`].sort());
    });

    test('a member cannot find out who is blind-copied by trying to add them: an existing participant gets the same 403 as anyone else', async () => {
      const [stranger] = await users(org, 'member');
      const conversation = await started(staff.api, { to: [member.id], cc: [otherMember.id] });
      expect(await participantIds(member.api, conversation.id)).toEqual([`to:${member.id}`, `to:${staff.id}`].sort());
      const before = await participantIds(staff.api, conversation.id);
      for (const field of ['to', 'cc']) {
        const copied = await member.api.post(`/v1/conversations/${conversation.id}/participants`, { [field]: [otherMember.id] });
        const notThere = await member.api.post(`/v1/conversations/${conversation.id}/participants`, { [field]: [stranger.id] });
        expectRefusal(notThere, 403, field, 'members may message staff only');
        expectRefusal(copied, 403, field, 'members may message staff only');
        expect(copied.body.details[0].message).toBe(notThere.body.details[0].message.replace(stranger.id, otherMember.id));
      }
      expect(await participantIds(staff.api, conversation.id)).toEqual(before);
    });

    test('staff may start a conversation with several members and add more', async () => {
      const conversation = await started(staff.api, { to: [member.id], cc: [otherMember.id] });
      expect((await otherMember.api.get(`/v1/conversations/${conversation.id}`)).status).toBe(200);
      const other = await started(staff.api, { to: [member.id] });
      expect((await staff.api.post(`/v1/conversations/${other.id}/participants`, { to: [otherMember.id] })).status).toBe(200);
      expect((await otherMember.api.get(`/v1/conversations/${other.id}`)).status).toBe(200);
    });
  });

  describe('the coordinator rule', () => {
    let org: TestOrganization;
    let coordinator: TestUser;
    let otherStaff: TestUser;
    let coordinated: TestUser;
    let uncoordinated: TestUser;

    beforeAll(async () => {
      org = await organization();
      [coordinator, otherStaff, coordinated, uncoordinated] = await users(org, 'staff', 'staff', 'member', 'member');
      expect((await org.admin.patch(`/v1/users/${coordinated.id}`, { coordinatorId: coordinator.id })).status).toBe(200);
      await settings(org, { contactMessaging: { restrictToCoordinator: true } });
    });

    test('a member may start a conversation with their coordinator, but not with other staff, in To or CC', async () => {
      const conversation = await started(coordinated.api, { to: [coordinator.id] });
      expect((await coordinator.api.get(`/v1/conversations/${conversation.id}`)).status).toBe(200);

      const toOther = await refusedWithoutWriting(() => start(coordinated.api, { to: [otherStaff.id] }));
      expectRefusal(toOther, 403, 'to', 'contactMessaging.restrictToCoordinator', otherStaff.id);
      const ccOther = await refusedWithoutWriting(() => start(coordinated.api, { to: [coordinator.id], cc: [otherStaff.id] }));
      expectRefusal(ccOther, 403, 'cc', 'contactMessaging.restrictToCoordinator', otherStaff.id);
      const toAdmin = await refusedWithoutWriting(() => start(coordinated.api, { to: [org.adminId] }));
      expectRefusal(toAdmin, 403, 'to', 'contactMessaging.restrictToCoordinator');

      expectRefusal(
        await coordinated.api.post(`/v1/conversations/${conversation.id}/participants`, { cc: [otherStaff.id] }),
        403,
        'cc',
        'contactMessaging.restrictToCoordinator',
      );
      expect(await participantIds(coordinator.api, conversation.id)).toEqual([`to:${coordinated.id}`, `to:${coordinator.id}`].sort());
    });

    test('a member without a coordinator may start no conversation at all', async () => {
      for (const staffId of [coordinator.id, otherStaff.id]) {
        const refused = await refusedWithoutWriting(() => start(uncoordinated.api, { to: [staffId] }));
        expectRefusal(refused, 403, 'to', 'contactMessaging.restrictToCoordinator', 'none is assigned');
      }
    });

    test('staff are not restricted: any staff member starts conversations with any member and adds staff', async () => {
      const conversation = await started(otherStaff.api, { to: [coordinated.id, uncoordinated.id] });
      for (const member of [coordinated, uncoordinated]) expect((await member.api.get(`/v1/conversations/${conversation.id}`)).status).toBe(200);
      expect((await otherStaff.api.post(`/v1/conversations/${conversation.id}/participants`, { cc: [coordinator.id] })).status).toBe(200);
    });

    test('turning the setting off lifts the restriction', async () => {
      await settings(org, { contactMessaging: { restrictToCoordinator: false } });
      try {
        await started(coordinated.api, { to: [otherStaff.id] });
        await started(uncoordinated.api, { to: [coordinator.id], cc: [org.adminId] });
      } finally {
        await settings(org, { contactMessaging: { restrictToCoordinator: true } });
      }
      expectRefusal(await start(coordinated.api, { to: [otherStaff.id] }), 403, 'to', 'contactMessaging.restrictToCoordinator');
    });
  });

  describe('designated staff and teams', () => {
    let org: TestOrganization;
    let designated: TestUser;
    let teamMember: TestUser;
    let outsider: TestUser;
    let member: TestUser;
    let teamId: string;

    beforeAll(async () => {
      org = await organization();
      [designated, teamMember, outsider, member] = await users(org, 'staff', 'staff', 'staff', 'member');
      teamId = (await org.admin.post('/v1/teams', { name: 'Renewals desk' })).body.id;
      expect((await org.admin.post(`/v1/teams/${teamId}/members`, { userId: teamMember.id })).status).toBe(200);
      await settings(org, { contactMessaging: { allowedStaffIds: [designated.id], allowedTeamIds: [teamId] } });
    });

    test("a member may write to the designated staff and the designated team's members, and to nobody else", async () => {
      await started(member.api, { to: [designated.id] });
      await started(member.api, { to: [teamMember.id] });
      const conversation = await started(member.api, { to: [designated.id], cc: [teamMember.id] });

      const refused = await refusedWithoutWriting(() => start(member.api, { to: [outsider.id] }));
      expectRefusal(refused, 403, 'to', 'contactMessaging.allowedStaffIds', outsider.id);
      expectRefusal(
        await refusedWithoutWriting(() => start(member.api, { to: [designated.id], cc: [outsider.id] })),
        403,
        'cc',
        'contactMessaging.allowedStaffIds',
      );
      expectRefusal(await refusedWithoutWriting(() => start(member.api, { to: [org.adminId] })), 403, 'to', 'contactMessaging.allowedStaffIds');
      expectRefusal(
        await member.api.post(`/v1/conversations/${conversation.id}/participants`, { to: [outsider.id] }),
        403,
        'to',
        'contactMessaging.allowedStaffIds',
      );
      expect((await outsider.api.get(`/v1/conversations/${conversation.id}`)).body).toEqual(NOT_FOUND);
    });

    test('leaving the team takes a staff member off the list', async () => {
      expect((await org.admin.delete(`/v1/teams/${teamId}/members/${teamMember.id}`)).status).toBe(204);
      try {
        expectRefusal(await start(member.api, { to: [teamMember.id] }), 403, 'to', 'contactMessaging.allowedStaffIds');
      } finally {
        await org.admin.post(`/v1/teams/${teamId}/members`, { userId: teamMember.id });
      }
    });

    test('with both lists empty a member may write to any staff member', async () => {
      await settings(org, { contactMessaging: { allowedStaffIds: [], allowedTeamIds: [] } });
      try {
        await started(member.api, { to: [outsider.id] });
        await started(member.api, { to: [org.adminId], cc: [teamMember.id] });
      } finally {
        await settings(org, { contactMessaging: { allowedStaffIds: [designated.id], allowedTeamIds: [teamId] } });
      }
    });
  });

  describe('replying is never limited by these rules', () => {
    test('members reply in a conversation staff started, to staff and other members, whatever the rules say', async () => {
      const org = await organization();
      const [staff, coordinator, first, second, copied] = await users(org, 'staff', 'staff', 'member', 'member', 'member');
      const conversation = await started(staff.api, { to: [first.id, second.id], cc: [copied.id] });

      const replies: string[] = [];
      const replyAll = async (round: string) => {
        for (const member of [first, second, copied]) {
          const text = `${round} reply from ${member.id}`;
          const reply = await member.api.post(`/v1/conversations/${conversation.id}/messages`, { body: `<p>${text}</p>` });
          expect(reply.status).toBe(201);
          replies.push(text);
        }
      };

      // Members may never start with other members, and here nobody has a coordinator: yet replies go through.
      await settings(org, { contactMessaging: { restrictToCoordinator: true } });
      await replyAll('coordinator rule');
      await settings(org, { contactMessaging: { restrictToCoordinator: false, allowedStaffIds: [coordinator.id] } });
      await replyAll('designated staff');

      const seenByStaff = (await staff.api.get(`/v1/conversations/${conversation.id}`)).body.messages.map((m: { bodyText: string }) => m.bodyText.trim());
      expect(seenByStaff.slice(1)).toEqual(replies);
      // The other member in To reads the first member's replies; the member in CC stays a blind copy.
      const seenBySecond = (await second.api.get(`/v1/conversations/${conversation.id}`)).body.messages.map((m: { bodyText: string }) => m.bodyText.trim());
      expect(seenBySecond).toEqual(expect.arrayContaining(replies.filter((r) => r.includes(first.id))));
      expect(seenBySecond.some((text: string) => text.includes(copied.id))).toBe(false);
    });
  });

  describe('client accounts', () => {
    let org: TestOrganization;
    let other: TestOrganization;
    let staff: TestUser;
    let staffWithoutAccess: TestUser;
    let member: TestUser;
    let memberWithoutAccess: TestUser;
    let account: { id: string; name: string };
    let secondAccount: { id: string; name: string };
    let foreignAccountId: string;

    beforeAll(async () => {
      [org, other] = await Promise.all([organization(), organization()]);
      [staff, staffWithoutAccess, member, memberWithoutAccess] = await users(org, 'staff', 'staff', 'member', 'member');
      account = (await org.admin.post('/v1/client-accounts', { name: 'Acme Logistics' })).body;
      secondAccount = (await org.admin.post('/v1/client-accounts', { name: 'Globex' })).body;
      foreignAccountId = (await other.admin.post('/v1/client-accounts', { name: 'Elsewhere Inc' })).body.id;
      for (const [accountId, userId] of [
        [account.id, staff.id],
        [account.id, member.id],
        [secondAccount.id, staff.id],
        [secondAccount.id, member.id],
      ]) {
        expect((await org.admin.post(`/v1/client-accounts/${accountId}/access`, { userId })).status).toBe(200);
      }
    });

    test('staff with access start a conversation in the account with a member who has access; both see the account in their inbox', async () => {
      const conversation = await started(staff.api, { clientAccountId: account.id, to: [member.id], subject: 'Acme shipment' });
      expect(conversation.clientAccount).toEqual({ id: account.id, name: 'Acme Logistics' });
      for (const user of [staff, member]) {
        const item = (await user.api.get('/v1/conversations')).body.items.find((i: { id: string }) => i.id === conversation.id);
        expect(item).toMatchObject({ subject: 'Acme shipment', clientAccount: { id: account.id, name: 'Acme Logistics' } });
        expect((await user.api.get(`/v1/conversations/${conversation.id}`)).body.clientAccount).toEqual({ id: account.id, name: 'Acme Logistics' });
      }
      const memberStarted = await started(member.api, { clientAccountId: account.id, to: [staff.id] });
      expect(memberStarted.clientAccount).toEqual({ id: account.id, name: 'Acme Logistics' });
    });

    test('a recipient without access to the account is refused with a 422 naming the field and the person, and nothing is written', async () => {
      expectRefusal(
        await refusedWithoutWriting(() => start(staff.api, { clientAccountId: account.id, to: [memberWithoutAccess.id] })),
        422,
        'to',
        memberWithoutAccess.id,
      );
      expectRefusal(
        await refusedWithoutWriting(() => start(staff.api, { clientAccountId: account.id, to: [member.id], cc: [memberWithoutAccess.id] })),
        422,
        'cc',
        memberWithoutAccess.id,
      );
      expectRefusal(
        await refusedWithoutWriting(() => start(staff.api, { clientAccountId: account.id, to: [member.id, staffWithoutAccess.id] })),
        422,
        'to',
        staffWithoutAccess.id,
      );
      expectRefusal(
        await refusedWithoutWriting(() => start(member.api, { clientAccountId: account.id, to: [staffWithoutAccess.id] })),
        422,
        'to',
        staffWithoutAccess.id,
      );
      expect((await memberWithoutAccess.api.get('/v1/conversations')).body.items).toEqual([]);
    });

    test('an admin may be a recipient without a grant', async () => {
      const conversation = await started(staff.api, { clientAccountId: account.id, to: [member.id], cc: [org.adminId] });
      expect((await org.admin.get(`/v1/conversations/${conversation.id}`)).body.clientAccount).toEqual({ id: account.id, name: 'Acme Logistics' });
      await started(org.admin, { clientAccountId: account.id, to: [member.id] });
    });

    test('starting in an account you have no access to is a 403 naming clientAccountId, for staff and members alike', async () => {
      const fromStaff = await refusedWithoutWriting(() => start(staffWithoutAccess.api, { clientAccountId: account.id, to: [org.adminId] }));
      expectRefusal(fromStaff, 403, 'clientAccountId');
      const fromMember = await refusedWithoutWriting(() => start(memberWithoutAccess.api, { clientAccountId: account.id, to: [org.adminId] }));
      expectRefusal(fromMember, 403, 'clientAccountId');
    });

    test("an unknown account or another organisation's account is a 422 naming clientAccountId", async () => {
      for (const clientAccountId of [UNKNOWN_ID, foreignAccountId]) {
        expectRefusal(await refusedWithoutWriting(() => start(staff.api, { clientAccountId, to: [member.id] })), 422, 'clientAccountId');
        expectRefusal(await refusedWithoutWriting(() => start(org.admin, { clientAccountId, to: [member.id] })), 422, 'clientAccountId');
      }
    });

    test("the inbox filtered by account shows only that account's conversations", async () => {
      const inFirst = await started(staff.api, { clientAccountId: account.id, to: [member.id] });
      const inSecond = await started(staff.api, { clientAccountId: secondAccount.id, to: [member.id] });
      const inNone = await started(staff.api, { to: [member.id] });
      for (const user of [staff, member]) {
        const all = (await user.api.get('/v1/conversations?limit=100')).body.items.map((i: { id: string }) => i.id);
        expect(all).toEqual(expect.arrayContaining([inFirst.id, inSecond.id, inNone.id]));

        const filtered = await user.api.get(`/v1/conversations?clientAccountId=${account.id}&limit=100`);
        expect(filtered.status).toBe(200);
        const expected = (
          await platform.query<{ id: string }>(
            `select c.id from conversation c join conversation_participant p on p.conversation_id = c.id
            where c.client_account_id = $1 and p.user_id = $2 and p.left_at is null and c.status = 'open'`,
            [account.id, user.id],
          )
        ).map((row) => row.id);
        expect(filtered.body.items.map((i: { id: string }) => i.id).sort()).toEqual(expected.sort());
        expect(expected).toContain(inFirst.id);
        for (const item of filtered.body.items) expect(item.clientAccount).toEqual({ id: account.id, name: 'Acme Logistics' });

        const second = (await user.api.get(`/v1/conversations?clientAccountId=${secondAccount.id}&limit=100`)).body.items.map((i: { id: string }) => i.id);
        expect(second).toEqual([inSecond.id]);
      }
      expect((await staffWithoutAccess.api.get(`/v1/conversations?clientAccountId=${account.id}`)).body.items).toEqual([]);
      expect(fieldsOf(await staff.api.get('/v1/conversations?clientAccountId=acme'))).toEqual(['clientAccountId']);
    });

    test("revoking a user's access to an account takes them out of its conversations: gone from their list, 404 to open, audited", async () => {
      const [leaver] = await users(org, 'member');
      expect((await org.admin.post(`/v1/client-accounts/${secondAccount.id}/access`, { userId: leaver.id })).status).toBe(200);
      const inAccount = await started(staff.api, { clientAccountId: secondAccount.id, to: [leaver.id], subject: 'Globex invoice' });
      const elsewhere = await started(staff.api, { to: [leaver.id], subject: 'Not about Globex' });
      await leaver.api.post(`/v1/conversations/${inAccount.id}/messages`, { body: '<p>My reply stays</p>' });

      expect((await org.admin.delete(`/v1/client-accounts/${secondAccount.id}/access/${leaver.id}`)).status).toBe(204);

      const listed = (await leaver.api.get('/v1/conversations?limit=100')).body.items.map((i: { id: string }) => i.id);
      expect(listed).not.toContain(inAccount.id);
      expect(listed).toContain(elsewhere.id);
      expect((await leaver.api.get(`/v1/conversations/${inAccount.id}`)).status).toBe(404);
      expect((await leaver.api.post(`/v1/conversations/${inAccount.id}/messages`, { body: '<p>again</p>' })).status).toBe(404);
      // Their history stays for everyone else; they are no longer among the participants.
      const seenByStaff = (await staff.api.get(`/v1/conversations/${inAccount.id}`)).body;
      expect(seenByStaff.messages.map((m: { bodyText: string }) => m.bodyText)).toContain('My reply stays');
      expect(seenByStaff.participants.map((p: { userId: string }) => p.userId)).not.toContain(leaver.id);
      const audit = await platform.query<{ actor_id: string; details: unknown }>(
        `select actor_id, details from audit_event where action = 'conversation.participant_removed' and subject_id = $1`,
        [inAccount.id],
      );
      expect(audit).toEqual([{ actor_id: org.adminId, details: { userId: leaver.id, reason: 'client_account_access_revoked' } }]);
    });

    test("adding someone without access to an account's conversation is a 422, and they are not added", async () => {
      const conversation = await started(staff.api, { clientAccountId: account.id, to: [member.id] });
      const before = await participantIds(staff.api, conversation.id);
      expectRefusal(
        await staff.api.post(`/v1/conversations/${conversation.id}/participants`, { to: [memberWithoutAccess.id] }),
        422,
        'to',
        memberWithoutAccess.id,
      );
      expectRefusal(
        await staff.api.post(`/v1/conversations/${conversation.id}/participants`, { cc: [memberWithoutAccess.id] }),
        422,
        'cc',
        memberWithoutAccess.id,
      );
      expect(await participantIds(staff.api, conversation.id)).toEqual(before);
      expect((await memberWithoutAccess.api.get(`/v1/conversations/${conversation.id}`)).body).toEqual(NOT_FOUND);

      expect((await staff.api.post(`/v1/conversations/${conversation.id}/participants`, { cc: [org.adminId] })).status).toBe(200);
      expect(await participantIds(staff.api, conversation.id)).toEqual([...before, `cc:${org.adminId}`].sort());
    });
  });

  describe('attachments in conversations', () => {
    let org: TestOrganization;
    let other: TestOrganization;
    let staff: TestUser;
    let first: TestUser;
    let second: TestUser;
    let copied: TestUser;
    let leaver: TestUser;
    let outsider: TestUser;

    beforeAll(async () => {
      [org, other] = await Promise.all([organization(), organization()]);
      [staff, first, second, copied, leaver, outsider] = await users(org, 'staff', 'member', 'member', 'member', 'member', 'member');
    });

    const upload = async (user: TestUser | TestOrganization, filename: string, bytes: Buffer) => {
      const api = 'api' in user ? user.api : user.admin;
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), filename);
      const response = await fetch(`${platform.baseUrl}/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
      expect(response.status).toBe(201);
      return (await response.json()) as { id: string; filename: string; size: number; contentType: string; sha256: string };
    };
    const download = async (api: Api, id: string) => {
      const response = await fetch(`${platform.baseUrl}/v1/attachments/${id}`, { headers: { authorization: `Bearer ${api.token}` } });
      const bytes = Buffer.from(await response.arrayBuffer());
      return { status: response.status, bytes, sha256: sha256(bytes) };
    };
    const downloadsOf = async (attachmentId: string) =>
      (
        await platform.query<{ actor_id: string }>(
          `select actor_id from audit_event where action = 'attachment.downloaded' and subject_id = $1 order by created_at`,
          [attachmentId],
        )
      ).map((row) => row.actor_id);
    const expectHidden = async (api: Api, id: string) => {
      const response = await download(api, id);
      expect(response.status).toBe(404);
      expect(JSON.parse(response.bytes.toString())).toMatchObject({ statusCode: 404, message: 'attachment not found' });
    };

    test('a file sent with a message is listed on it, and everyone who may see the message downloads the same bytes, audited per person', async () => {
      const pdf = await upload(staff, 'renewal quote.pdf', PDF);
      const conversation = await started(staff.api, { to: [first.id, second.id, leaver.id], cc: [copied.id], attachmentIds: [pdf.id] });
      const expected = { id: pdf.id, filename: 'renewal quote.pdf', size: PDF.length, contentType: 'application/pdf', sha256: sha256(PDF) };
      expect(conversation.messages).toEqual([expect.objectContaining({ id: conversation.firstMessageId, attachments: [expected] })]);

      const readers = [staff, first, second, copied, leaver];
      for (const reader of readers) {
        const seen = (await reader.api.get(`/v1/conversations/${conversation.id}`)).body.messages;
        expect(seen[0].attachments).toEqual([expected]);
        const file = await download(reader.api, pdf.id);
        expect(file.status).toBe(200);
        expect(file.bytes.equals(PDF)).toBe(true);
        expect(file.sha256).toBe(pdf.sha256);
      }
      expect(await downloadsOf(pdf.id)).toEqual(readers.map((reader) => reader.id));

      // Leaving takes the files away with the conversation; others never had them.
      expect((await leaver.api.post(`/v1/conversations/${conversation.id}/leave`)).status).toBe(204);
      for (const api of [leaver.api, outsider.api, org.admin, other.admin]) await expectHidden(api, pdf.id);
      expect(await downloadsOf(pdf.id)).toEqual(readers.map((reader) => reader.id));
    });

    test("a CC member's file on their reply stays hidden from the members in To, but staff download it", async () => {
      const conversation = await started(staff.api, { to: [first.id, second.id], cc: [copied.id] });
      const png = await upload(copied, 'damage photo.png', PNG);
      const reply = await copied.api.post(`/v1/conversations/${conversation.id}/messages`, { body: '<p>Photo of the damage</p>', attachmentIds: [png.id] });
      expect(reply.status).toBe(201);
      expect(reply.body.attachments).toEqual([{ id: png.id, filename: 'damage photo.png', size: PNG.length, contentType: 'image/png', sha256: sha256(PNG) }]);

      for (const member of [first, second]) {
        const messages = (await member.api.get(`/v1/conversations/${conversation.id}`)).body.messages;
        expect(messages.map((m: { id: string }) => m.id)).not.toContain(reply.body.id);
        await expectHidden(member.api, png.id);
      }
      for (const reader of [staff, copied]) {
        const file = await download(reader.api, png.id);
        expect(file.status).toBe(200);
        expect(file.sha256).toBe(sha256(PNG));
      }
      expect(await downloadsOf(png.id)).toEqual([staff.id, copied.id]);

      // A To member's file reaches the other To member and staff, but not the blind copy.
      const text = await upload(first, 'notes.txt', TEXT);
      expect((await first.api.post(`/v1/conversations/${conversation.id}/messages`, { body: '<p>My notes</p>', attachmentIds: [text.id] })).status).toBe(201);
      for (const reader of [second, staff]) expect((await download(reader.api, text.id)).bytes.equals(TEXT)).toBe(true);
      await expectHidden(copied.api, text.id);
      expect(await downloadsOf(text.id)).toEqual([second.id, staff.id]);
    });

    test('a file already sent cannot be sent again, and nothing of the second message is stored', async () => {
      const pdf = await upload(staff, 'policy.pdf', PDF);
      const conversation = await started(staff.api, { to: [first.id], attachmentIds: [pdf.id] });
      const messages = await count('conversation_message where conversation_id = $1', [conversation.id]);
      const posted = () => count(`audit_event where action = 'conversation.message_posted' and subject_id = $1`, [conversation.id]);
      const postedBefore = await posted();

      const again = await staff.api.post(`/v1/conversations/${conversation.id}/messages`, { body: '<p>Once more</p>', attachmentIds: [pdf.id] });
      expectRefusal(again, 422, 'attachmentIds');
      expect(await count('conversation_message where conversation_id = $1', [conversation.id])).toBe(messages);
      expect((await first.api.get(`/v1/conversations/${conversation.id}`)).body.messages).toHaveLength(1);

      const fresh = await upload(staff, 'other.pdf', PDF);
      const mixed = await staff.api.post(`/v1/conversations/${conversation.id}/messages`, { body: '<p>Both</p>', attachmentIds: [fresh.id, pdf.id] });
      expectRefusal(mixed, 422, 'attachmentIds');
      expect(await count('conversation_message where conversation_id = $1', [conversation.id])).toBe(messages);
      expect(await count(`attachment where id = $1 and conversation_message_id is null`, [fresh.id])).toBe(1);
      expect(await posted()).toBe(postedBefore);

      expectRefusal(await refusedWithoutWriting(() => start(staff.api, { to: [second.id], attachmentIds: [pdf.id] })), 422, 'attachmentIds');
      // The attachment still belongs to its first message only.
      expect((await download(second.api, pdf.id)).status).toBe(404);
    });

    test("someone else's unsent upload cannot be attached, and stays its uploader's to send", async () => {
      const theirs = await upload(first, 'claim.pdf', PDF);
      const conversation = await started(staff.api, { to: [first.id] });
      const messages = await count('conversation_message where conversation_id = $1', [conversation.id]);

      expectRefusal(
        await staff.api.post(`/v1/conversations/${conversation.id}/messages`, { body: '<p>Forwarding</p>', attachmentIds: [theirs.id] }),
        422,
        'attachmentIds',
      );
      expectRefusal(await refusedWithoutWriting(() => start(staff.api, { to: [second.id], attachmentIds: [theirs.id] })), 422, 'attachmentIds');
      const foreign = await upload(other, 'foreign.pdf', PDF);
      expectRefusal(await refusedWithoutWriting(() => start(staff.api, { to: [second.id], attachmentIds: [foreign.id] })), 422, 'attachmentIds');
      expectRefusal(await refusedWithoutWriting(() => start(staff.api, { to: [second.id], attachmentIds: [UNKNOWN_ID] })), 422, 'attachmentIds');
      expect(await count('conversation_message where conversation_id = $1', [conversation.id])).toBe(messages);

      const sent = await first.api.post(`/v1/conversations/${conversation.id}/messages`, { body: '<p>My claim</p>', attachmentIds: [theirs.id] });
      expect(sent.status).toBe(201);
      expect((await download(staff.api, theirs.id)).bytes.equals(PDF)).toBe(true);
    });

    test('an upload not yet sent is downloadable by its uploader only', async () => {
      const pending = await upload(first, 'draft.txt', TEXT);
      const mine = await download(first.api, pending.id);
      expect(mine.status).toBe(200);
      expect(mine.bytes.equals(TEXT)).toBe(true);
      for (const api of [second.api, staff.api, org.admin, other.admin]) await expectHidden(api, pending.id);
      expect(await downloadsOf(pending.id)).toEqual([first.id]);
    });
  });
});
