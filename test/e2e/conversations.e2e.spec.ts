import { Api, ApiResponse, createOrganization, eventually, fieldsOf, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { addNamedUser as addUser, openConversation, postReply, startConversation, type NamedUser } from '../support/conversations.js';
import { recordHistory } from '../support/histories.js';
import { Platform } from '../support/platform.js';
import { MAX_RICH_TEXT_DEPTH, MAX_RICH_TEXT_ELEMENTS, MAX_RICH_TEXT_PIECES } from '../../libs/rich-text/rich-text.js';

type TestUser = NamedUser;

const NOT_FOUND = { statusCode: 404, error: 'Not Found', message: 'conversation not found', details: [{ field: 'id', message: 'conversation not found' }] };

/**
 * Secure conversations end to end: the API and worker as processes on a real PostgreSQL and a real
 * Temporal dev server. Staff and contacts (members) write to each other; contacts in CC are blind copies.
 */
describe('conversations (end to end)', () => {
  let platform: Platform;
  let org: TestOrganization;
  let other: TestOrganization;
  let staff: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let erin: TestUser;
  let outsider: TestUser;
  let otherMember: TestUser;

  beforeAll(async () => {
    platform = await new Platform().start();
    [org, other] = await Promise.all([createOrganization(platform.baseUrl), createOrganization(platform.baseUrl)]);
    [staff, alice, bob, carol, dave, erin, outsider, otherMember] = await Promise.all([
      addUser(org, 'staff', 'Sam Staff'),
      addUser(org, 'member', 'Alice Member'),
      addUser(org, 'member', 'Bob Member'),
      addUser(org, 'member', 'Carol Member'),
      addUser(org, 'member', 'Dave Member'),
      addUser(org, 'member', 'Erin Member'),
      addUser(org, 'member', 'Olly Outsider'),
      addUser(other, 'member', 'Otto Elsewhere'),
    ]);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const start = (api: Api, body: Record<string, unknown>) => api.post('/v1/conversations', { subject: 'Your claim 4411', body: '<p>Hello</p>', ...body });
  const started = (api: Api, body: Record<string, unknown>) => startConversation(api, { subject: 'Your claim 4411', body: '<p>Hello</p>', ...body });
  const reply = (user: TestUser, id: string, body: string, extra: Record<string, unknown> = {}) => postReply(user.api, id, body, extra);
  const list = async (api: Api, folder: 'active' | 'inactive' = 'active') => {
    const response = await api.get(`/v1/conversations?folder=${folder}&limit=100`);
    expect(response.status).toBe(200);
    return response.body.items as Array<{ id: string; [key: string]: any }>;
  };
  const itemOf = async (user: TestUser, id: string, folder: 'active' | 'inactive' = 'active') => (await list(user.api, folder)).find((item) => item.id === id);
  const view = (user: TestUser, id: string) => openConversation(user.api, id);
  const participantsSeenBy = async (user: TestUser, id: string) =>
    (await view(user, id)).participants.map((p: { userId: string; kind: string }) => [p.userId, p.kind]).sort();
  const messagesSeenBy = async (user: TestUser, id: string) => (await view(user, id)).messages.map((m: { bodyText: string }) => m.bodyText);
  const count = async (table: string) => (await platform.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0].n;
  const upload = async (api: Api, filename: string, text: string) => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(text)], { type: 'text/plain' }), filename);
    const response = await fetch(`${platform.baseUrl}/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string };
  };
  const sorted = (...pairs: Array<[string, string]>) => pairs.sort();

  test('staff start a conversation with To, CC and a rich-text body; unsafe markup comes out inert and the list shows it', async () => {
    const body =
      '<p>Hello <b>Alice</b>, see <a href="https://example.org/claims/4411" onclick="x()">your claim</a>.</p>' +
      '<script>alert("stolen")</script><img src=x onerror="alert(1)">' +
      '<p onmouseover="steal()">Pay <a href="javascript:alert(2)">here</a></p>';
    // The caller in To is ignored; someone in both To and CC is in To.
    const response = await start(staff.api, { subject: '  Your claim 4411  ', to: [alice.id, staff.id], cc: [bob.id, alice.id], body });
    expect(response.status).toBe(201);
    const conversation = response.body;
    expect(conversation).toEqual({
      id: expect.any(String),
      subject: 'Your claim 4411',
      status: 'open',
      clientAccount: null,
      createdAt: expect.any(String),
      closedAt: null,
      lastReadAt: null,
      lastReadSequence: 0,
      participants: expect.any(Array),
      olderMessagesCursor: null,
      messages: [
        {
          id: conversation.firstMessageId,
          sequence: 1,
          author: { id: staff.id, name: 'Sam Staff' },
          bodyHtml:
            '<p>Hello <b>Alice</b>, see <a href="https://example.org/claims/4411" rel="noopener noreferrer nofollow" target="_blank">your claim</a>.</p>' +
            '<p>Pay <a rel="noopener noreferrer nofollow" target="_blank">here</a></p>',
          bodyText: 'Hello Alice, see your claim [https://example.org/claims/4411].\n\nPay here',
          source: 'app',
          system: false,
          createdAt: expect.any(String),
          attachments: [],
          readReceipt: false,
        },
      ],
      firstMessageId: expect.any(String),
    });
    const [message] = conversation.messages;
    for (const unsafe of ['<script', 'stolen', 'onerror', 'onclick', 'onmouseover', 'javascript:', '<img']) expect(message.bodyHtml).not.toContain(unsafe);
    expect(conversation.participants.map((p: any) => [p.userId, p.name, p.role, p.kind]).sort()).toEqual(
      [
        [staff.id, 'Sam Staff', 'staff', 'to'],
        [alice.id, 'Alice Member', 'member', 'to'],
        [bob.id, 'Bob Member', 'member', 'cc'],
      ].sort(),
    );

    const expectedItem = {
      id: conversation.id,
      subject: 'Your claim 4411',
      preview: 'Hello Alice, see your claim [https://example.org/claims/4411]. Pay here',
      lastSender: { id: staff.id, name: 'Sam Staff' },
      lastUpdatedAt: message.createdAt,
      clientAccount: null,
      status: 'open',
    };
    expect(await itemOf(alice, conversation.id)).toEqual({ ...expectedItem, unreadCount: 1 });
    expect(await itemOf(bob, conversation.id)).toEqual({ ...expectedItem, unreadCount: 1 });
    expect(await itemOf(staff, conversation.id)).toEqual({ ...expectedItem, unreadCount: 0 });
    expect(await itemOf(alice, conversation.id, 'inactive')).toBeUndefined();
    expect((await view(alice, conversation.id)).messages).toEqual([message]);
  });

  test('a reply nested 87,000 deep is stored flattened, one with too much markup refused with 422 naming body; a non-member gets 404 for either', async () => {
    const conversation = await started(staff.api, { to: [alice.id] });
    const deep = `${'<b>'.repeat(87_000)}Deep hello<script>alert(1)</script>`;
    const busy = '<a>x</a>'.repeat(MAX_RICH_TEXT_ELEMENTS + 1);

    for (const body of [deep, busy]) {
      const stranger = await outsider.api.post(`/v1/conversations/${conversation.id}/messages`, { body });
      expect({ status: stranger.status, body: stranger.body }).toEqual({ status: 404, body: NOT_FOUND });
    }
    const refused = await alice.api.post(`/v1/conversations/${conversation.id}/messages`, { body: busy });
    expect(refused.status).toBe(422);
    expect(refused.body.details).toEqual([{ field: 'body', message: expect.stringMatching(/^has too much markup: at most 4000 elements/) }]);

    const stored = await reply(alice, conversation.id, deep);
    expect(stored.bodyText).toBe('Deep hello');
    expect(stored.bodyHtml.match(/<b>/g)).toHaveLength(MAX_RICH_TEXT_DEPTH);
    expect(stored.bodyHtml).not.toContain('script');
    expect(await messagesSeenBy(staff, conversation.id)).toEqual(['Hello', 'Deep hello']);
  });

  test('BCC: each participant sees exactly the people and replies the rule allows, and their list reflects only those', async () => {
    const conversation = await started(staff.api, { to: [alice.id, bob.id], cc: [carol.id], body: '<p>Staff opening</p>' });
    const id = conversation.id;

    expect(await participantsSeenBy(staff, id)).toEqual(sorted([staff.id, 'to'], [alice.id, 'to'], [bob.id, 'to'], [carol.id, 'cc']));
    expect(await participantsSeenBy(alice, id)).toEqual(sorted([staff.id, 'to'], [alice.id, 'to'], [bob.id, 'to']));
    expect(await participantsSeenBy(bob, id)).toEqual(sorted([staff.id, 'to'], [alice.id, 'to'], [bob.id, 'to']));
    expect(await participantsSeenBy(carol, id)).toEqual(sorted([staff.id, 'to'], [carol.id, 'cc']));

    const fromAlice = await reply(alice, id, '<p>Alice writes</p>');
    expect(fromAlice).toMatchObject({ author: { id: alice.id, name: 'Alice Member' }, bodyText: 'Alice writes', source: 'app', readReceipt: false });
    const fromBob = await reply(bob, id, '<p>Bob writes</p>');
    const aliceBefore = await itemOf(alice, id);
    expect(aliceBefore).toMatchObject({
      preview: 'Bob writes',
      lastSender: { id: bob.id, name: 'Bob Member' },
      lastUpdatedAt: fromBob.createdAt,
      unreadCount: 2,
    });
    const fromCarol = await reply(carol, id, '<p>Carol writes privately</p>');

    expect(await messagesSeenBy(staff, id)).toEqual(['Staff opening', 'Alice writes', 'Bob writes', 'Carol writes privately']);
    expect(await messagesSeenBy(alice, id)).toEqual(['Staff opening', 'Alice writes', 'Bob writes']);
    expect(await messagesSeenBy(bob, id)).toEqual(['Staff opening', 'Alice writes', 'Bob writes']);
    expect(await messagesSeenBy(carol, id)).toEqual(['Staff opening', 'Carol writes privately']);

    // Carol's reply bumps nothing for Alice and Bob: not the preview, not the time, not the unread count.
    expect(await itemOf(alice, id)).toEqual(aliceBefore);
    expect(await itemOf(bob, id)).toMatchObject({ preview: 'Bob writes', lastSender: { id: bob.id }, lastUpdatedAt: fromBob.createdAt, unreadCount: 2 });
    expect(await itemOf(carol, id)).toMatchObject({
      preview: 'Carol writes privately',
      lastSender: { id: carol.id, name: 'Carol Member' },
      lastUpdatedAt: fromCarol.createdAt,
      unreadCount: 1,
    });
    expect(await itemOf(staff, id)).toMatchObject({
      preview: 'Carol writes privately',
      lastSender: { id: carol.id },
      lastUpdatedAt: fromCarol.createdAt,
      unreadCount: 3,
    });

    // A staff reply reaches everyone again.
    const fromStaff = await reply(staff, id, '<p>Staff answers all</p>');
    for (const user of [alice, bob, carol]) {
      expect(await itemOf(user, id)).toMatchObject({ preview: 'Staff answers all', lastSender: { id: staff.id }, lastUpdatedAt: fromStaff.createdAt });
      expect((await messagesSeenBy(user, id)).at(-1)).toBe('Staff answers all');
    }
    expect((await itemOf(alice, id))!.unreadCount).toBe(3);
    expect((await itemOf(carol, id))!.unreadCount).toBe(2);
  });

  test('unread counts count what others wrote; reading zeroes them; read receipts show only to their author, and reads and opens are audited', async () => {
    const conversation = await started(staff.api, { to: [alice.id, bob.id], body: '<p>Please confirm</p>', readReceipt: true });
    const id = conversation.id;
    expect(conversation.messages[0]).toMatchObject({ readReceipt: true, readBy: [] });
    const first = conversation.firstMessageId;

    expect((await itemOf(staff, id))!.unreadCount).toBe(0);
    expect((await itemOf(alice, id))!.unreadCount).toBe(1);
    const alicesAsking = await reply(alice, id, '<p>One</p>', { readReceipt: true });
    expect(alicesAsking).toMatchObject({ readReceipt: true, readBy: [] });
    await reply(bob, id, '<p>Two</p>');
    expect((await itemOf(staff, id))!.unreadCount).toBe(2);
    expect((await itemOf(alice, id))!.unreadCount).toBe(2);

    // Before anyone read it, the author sees an empty readBy; others see none at all.
    const openedByStaff = await view(staff, id);
    expect(openedByStaff.messages.find((m: any) => m.id === first).readBy).toEqual([]);
    expect(openedByStaff.messages.filter((m: any) => m.id !== first).every((m: any) => !('readBy' in m))).toBe(true);

    const read = await alice.api.post(`/v1/conversations/${id}/read`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ conversationId: id, lastReadAt: expect.any(String), lastReadSequence: expect.any(Number), unreadCount: 0 });
    expect((await itemOf(alice, id))!.unreadCount).toBe(0);
    expect((await itemOf(bob, id))!.unreadCount).toBe(2);

    const forStaff = (await view(staff, id)).messages.find((m: any) => m.id === first);
    expect(forStaff.readBy).toEqual([{ userId: alice.id, name: 'Alice Member', readAt: expect.any(String) }]);
    expect(Date.parse(forStaff.readBy[0].readAt)).toBeGreaterThanOrEqual(Date.parse(forStaff.createdAt));
    for (const reader of [alice, bob]) {
      const othersMessages = (await view(reader, id)).messages.filter((m: any) => m.author.id !== reader.id);
      expect(othersMessages.map((m: any) => m.bodyText)).toContain('Please confirm');
      for (const message of othersMessages) expect(message).not.toHaveProperty('readBy');
    }
    // Nobody has read Alice's own request yet.
    expect((await view(alice, id)).messages.find((m: any) => m.id === alicesAsking.id).readBy).toEqual([]);

    // Reading again changes nothing; a new message counts again until read.
    const again = await alice.api.post(`/v1/conversations/${id}/read`);
    expect(again.body).toEqual(read.body);
    await reply(staff, id, '<p>Three</p>');
    expect((await itemOf(alice, id))!.unreadCount).toBe(1);
    expect((await view(alice, id)).lastReadAt).toBe(read.body.lastReadAt);

    await bob.api.post(`/v1/conversations/${id}/read`);
    const readers = (await view(staff, id)).messages.find((m: any) => m.id === first).readBy.map((r: any) => r.userId);
    expect(readers.sort()).toEqual([alice.id, bob.id].sort());
    expect((await itemOf(staff, id))!.unreadCount).toBe(2);
    await staff.api.post(`/v1/conversations/${id}/read`);
    expect((await itemOf(staff, id))!.unreadCount).toBe(0);
    // A member's own receipt lists whoever read it; the staff member who did sees no readBy on it.
    const alicesOwn = (await view(alice, id)).messages.find((m: any) => m.id === alicesAsking.id);
    expect(alicesOwn.readBy.map((r: any) => [r.userId, r.name])).toEqual([
      [bob.id, 'Bob Member'],
      [staff.id, 'Sam Staff'],
    ]);
    expect((await view(staff, id)).messages.find((m: any) => m.id === alicesAsking.id)).not.toHaveProperty('readBy');

    const audit = await platform.query<{ action: string; actor_id: string; subject_type: string }>(
      `select action, actor_id, subject_type from audit_event where subject_id = $1 and action in ('conversation.read', 'conversation.viewed') order by created_at`,
      [id],
    );
    const byAction = (action: string) => audit.filter((row) => row.action === action).map((row) => row.actor_id);
    expect(byAction('conversation.read')).toEqual([alice.id, bob.id, staff.id]);
    expect(byAction('conversation.viewed')).toEqual(expect.arrayContaining([staff.id, alice.id, bob.id]));
    expect(audit.every((row) => row.subject_type === 'conversation')).toBe(true);

    // The first message's workflow ends once both recipients have read it and their receipts went out.
    const workflowId = `conversation-message-${first}`;
    await expect(platform.client.workflow.getHandle(workflowId).result()).resolves.toMatchObject({ phase: 'ended', unread: [], readNotices: 2 });
    await recordHistory(platform.temporal.address, workflowId, 'conversation-read-receipts');
    await recordHistory(platform.temporal.address, `conversation-message-${alicesAsking.id}`, 'conversation-notified-awaiting-receipts');
  });

  test('a newly added recipient sees the earlier history as the BCC rule allows; adding someone already in changes nothing; unknown users are refused', async () => {
    const conversation = await started(staff.api, { to: [alice.id], cc: [carol.id], body: '<p>Opening</p>' });
    const id = conversation.id;
    await reply(alice, id, '<p>From Alice in To</p>');
    await reply(carol, id, '<p>From Carol in CC</p>');

    const added = await staff.api.post(`/v1/conversations/${id}/participants`, { to: [dave.id], cc: [erin.id] });
    expect(added.status).toBe(200);
    expect(added.body.participants.map((p: any) => [p.userId, p.kind]).sort()).toEqual(
      sorted([staff.id, 'to'], [alice.id, 'to'], [carol.id, 'cc'], [dave.id, 'to'], [erin.id, 'cc']),
    );
    const newcomers = added.body.participants.filter((p: any) => [dave.id, erin.id].includes(p.userId));
    expect(newcomers.every((p: any) => Date.parse(p.addedAt) > Date.parse(conversation.createdAt))).toBe(true);

    // Dave, in To, sees the opening and Alice's reply but not Carol's blind copy; Erin, in CC, only staff.
    expect(await messagesSeenBy(dave, id)).toEqual(['Opening', 'From Alice in To']);
    expect(await participantsSeenBy(dave, id)).toEqual(sorted([staff.id, 'to'], [alice.id, 'to'], [dave.id, 'to']));
    expect(await itemOf(dave, id)).toMatchObject({ preview: 'From Alice in To', lastSender: { id: alice.id }, unreadCount: 2 });
    expect(await messagesSeenBy(erin, id)).toEqual(['Opening']);
    expect(await participantsSeenBy(erin, id)).toEqual(sorted([staff.id, 'to'], [erin.id, 'cc']));
    expect(await itemOf(erin, id)).toMatchObject({ preview: 'Opening', lastSender: { id: staff.id }, unreadCount: 1 });
    // Alice, in To, now sees Dave too.
    expect(await participantsSeenBy(alice, id)).toEqual(sorted([staff.id, 'to'], [alice.id, 'to'], [dave.id, 'to']));

    // Adding people already in (even Alice again, in CC) changes nothing.
    const before = await view(staff, id);
    const again = await staff.api.post(`/v1/conversations/${id}/participants`, { to: [dave.id], cc: [alice.id, erin.id] });
    expect(again.status).toBe(200);
    expect(again.body.participants).toEqual(before.participants);
    expect(await itemOf(dave, id)).toMatchObject({ unreadCount: 2 });

    for (const [body, field] of [
      [{ to: [UNKNOWN_ID] }, 'to'],
      [{ cc: [UNKNOWN_ID] }, 'cc'],
      [{ to: [otherMember.id] }, 'to'],
    ] as const) {
      const refused = await staff.api.post(`/v1/conversations/${id}/participants`, body);
      expect(refused.status).toBe(422);
      expect(fieldsOf(refused)).toEqual([field]);
    }
    expect((await view(staff, id)).participants).toEqual(before.participants);
  });

  test('a deactivated user cannot be named: starting a conversation with them or adding them is a 422 naming the field', async () => {
    const gone = await addUser(org, 'member', 'Gus Gone');
    expect((await org.admin.patch(`/v1/users/${gone.id}`, { status: 'deactivated' })).status).toBe(200);
    const conversations = await count('conversation');

    for (const [body, field] of [
      [{ to: [alice.id, gone.id] }, 'to'],
      [{ to: [alice.id], cc: [gone.id] }, 'cc'],
    ] as const) {
      const refused = await start(staff.api, body);
      expect(refused.status).toBe(422);
      expect(refused.body.details).toEqual([{ field, message: `must not name deactivated users: ${gone.id}` }]);
    }
    expect(await count('conversation')).toBe(conversations);

    const { id } = await started(staff.api, { to: [alice.id] });
    const before = (await view(staff, id)).participants;
    const refused = await staff.api.post(`/v1/conversations/${id}/participants`, { to: [bob.id], cc: [gone.id] });
    expect(refused.status).toBe(422);
    expect(fieldsOf(refused)).toEqual(['cc']);
    expect((await view(staff, id)).participants).toEqual(before);
  });

  test('whoever leaves no longer finds the conversation anywhere, while everyone else still does', async () => {
    const { id } = await started(staff.api, { to: [alice.id, bob.id], body: '<p>Before leaving</p>' });
    expect(await itemOf(alice, id)).toBeDefined();

    const left = await alice.api.post(`/v1/conversations/${id}/leave`);
    expect(left.status).toBe(204);
    expect(await itemOf(alice, id)).toBeUndefined();
    expect(await itemOf(alice, id, 'inactive')).toBeUndefined();
    for (const response of [
      await alice.api.get(`/v1/conversations/${id}`),
      await alice.api.post(`/v1/conversations/${id}/messages`, { body: '<p>Still here?</p>' }),
      await alice.api.post(`/v1/conversations/${id}/read`),
      await alice.api.post(`/v1/conversations/${id}/leave`),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NOT_FOUND);
    }

    expect(await itemOf(bob, id)).toBeDefined();
    expect(await itemOf(staff, id)).toBeDefined();
    expect(await participantsSeenBy(staff, id)).toEqual(sorted([staff.id, 'to'], [bob.id, 'to']));
    await reply(bob, id, '<p>Bob carries on</p>');
    expect(await messagesSeenBy(staff, id)).toEqual(['Before leaving', 'Bob carries on']);

    // Added back, she finds it again with its history, all of it unread.
    expect((await staff.api.post(`/v1/conversations/${id}/participants`, { to: [alice.id] })).status).toBe(200);
    expect(await itemOf(alice, id)).toMatchObject({ preview: 'Bob carries on', unreadCount: 2 });
    expect(await messagesSeenBy(alice, id)).toEqual(['Before leaving', 'Bob carries on']);
  });

  test('staff close a conversation for everyone; it takes no replies or recipients; reopening follows the allowContactsToReopen setting', async () => {
    const closing = await createOrganization(platform.baseUrl);
    const [coordinator, contact, newcomer] = await Promise.all([
      addUser(closing, 'staff', 'Cora Coordinator'),
      addUser(closing, 'member', 'Mia Member'),
      addUser(closing, 'member', 'Ned Newcomer'),
    ]);
    const { id } = await started(coordinator.api, { to: [contact.id], body: '<p>Your claim is settled</p>' });

    const byMember = await contact.api.post(`/v1/conversations/${id}/close`);
    expect(byMember.status).toBe(403);
    expect((await view(contact, id)).status).toBe('open');

    const closed = await coordinator.api.post(`/v1/conversations/${id}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ id, status: 'closed', closedAt: expect.any(String) });
    for (const user of [coordinator, contact]) {
      expect(await itemOf(user, id)).toBeUndefined();
      expect(await itemOf(user, id, 'inactive')).toMatchObject({ id, status: 'closed' });
    }
    const messagesBefore = (await view(coordinator, id)).messages.length;

    for (const user of [contact, coordinator]) {
      const refused = await user.api.post(`/v1/conversations/${id}/messages`, { body: '<p>One more thing</p>' });
      expect(refused.status).toBe(409);
    }
    const adding = await coordinator.api.post(`/v1/conversations/${id}/participants`, { to: [newcomer.id] });
    expect(adding.status).toBe(409);
    expect(await itemOf(newcomer, id, 'inactive')).toBeUndefined();

    // With the setting off (the default) nobody can bring it back.
    for (const user of [coordinator, contact]) {
      const reopen = await user.api.post(`/v1/conversations/${id}/reopen`);
      expect(reopen.status).toBe(409);
      expect(reopen.body.message).toContain('allowContactsToReopen');
    }
    expect((await view(coordinator, id)).messages).toHaveLength(messagesBefore);

    // With it on, a contact's reply reopens it for everyone.
    expect((await closing.admin.patch('/v1/organization/settings', { allowContactsToReopen: true })).status).toBe(200);
    const reopening = await reply(contact, id, '<p>Actually, one more question</p>');
    for (const user of [coordinator, contact]) {
      expect(await itemOf(user, id)).toMatchObject({ id, status: 'open', preview: 'Actually, one more question' });
      expect(await itemOf(user, id, 'inactive')).toBeUndefined();
    }
    const reopened = await view(coordinator, id);
    expect(reopened).toMatchObject({ status: 'open', closedAt: null });
    expect(reopened.messages.map((m: any) => m.id)).toContain(reopening.id);

    // Staff must reopen explicitly before they reply.
    expect((await coordinator.api.post(`/v1/conversations/${id}/close`)).status).toBe(200);
    const staffReply = await coordinator.api.post(`/v1/conversations/${id}/messages`, { body: '<p>Reply to a closed one</p>' });
    expect(staffReply.status).toBe(409);
    expect((await view(coordinator, id)).messages.map((m: any) => m.bodyText)).not.toContain('Reply to a closed one');
    const explicit = await coordinator.api.post(`/v1/conversations/${id}/reopen`);
    expect(explicit.status).toBe(200);
    expect(explicit.body).toMatchObject({ id, status: 'open', closedAt: null });
    expect(await itemOf(contact, id)).toMatchObject({ id, status: 'open' });
    await reply(coordinator, id, '<p>Reply after reopening</p>');
    expect((await messagesSeenBy(contact, id)).at(-1)).toBe('Reply after reopening');
  }, 20_000);

  test("another organisation's users and members not in a conversation get 404 for it, and never see it listed", async () => {
    const { id } = await started(staff.api, { to: [alice.id], body: '<p>Only for Alice</p>' });
    const unknown = await alice.api.get(`/v1/conversations/${UNKNOWN_ID}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(NOT_FOUND);

    const outsiders: Array<[string, Api]> = [
      ['other organisation admin', other.admin],
      ['other organisation member', otherMember.api],
      ['member not in it', outsider.api],
    ];
    for (const [, api] of outsiders) {
      for (const response of [
        await api.get(`/v1/conversations/${id}`),
        await api.post(`/v1/conversations/${id}/messages`, { body: '<p>Let me in</p>' }),
        await api.post(`/v1/conversations/${id}/read`),
        await api.post(`/v1/conversations/${id}/leave`),
        await api.post(`/v1/conversations/${id}/reopen`),
      ]) {
        expect(response.status).toBe(404);
        expect(response.body).toEqual(NOT_FOUND);
      }
      for (const folder of ['active', 'inactive'] as const) expect((await list(api, folder)).map((item) => item.id)).not.toContain(id);
    }
    for (const path of ['close', 'participants']) {
      const response = await other.admin.post(`/v1/conversations/${id}/${path}`, path === 'participants' ? { to: [otherMember.id] } : undefined);
      expect(response.status).toBe(404);
    }
    expect(await messagesSeenBy(staff, id)).toEqual(['Only for Alice']);
    expect(await participantsSeenBy(staff, id)).toEqual(sorted([staff.id, 'to'], [alice.id, 'to']));

    const notUuid = await alice.api.get('/v1/conversations/not-a-uuid');
    expect(notUuid.status).toBe(400);
    expect(fieldsOf(notUuid)).toEqual(['id']);
  });

  test('staff start a conversation from a canned response, sanitized; members may not, and an unknown one is refused', async () => {
    const canned = await org.admin.post('/v1/canned-responses', {
      title: `Claim received ${Date.now()}`,
      body: '<p>We received your <b>claim</b>.</p><script>alert("canned")</script><a href="javascript:void(0)" onclick="x()">Track it</a>',
    });
    expect(canned.status).toBe(201);
    const cannedId = canned.body.id;

    const response = await staff.api.post('/v1/conversations', { subject: 'Claim received', to: [alice.id], cannedResponseId: cannedId });
    expect(response.status).toBe(201);
    expect(response.body.messages).toEqual([
      expect.objectContaining({
        bodyHtml: '<p>We received your <b>claim</b>.</p><a rel="noopener noreferrer nofollow" target="_blank">Track it</a>',
        bodyText: 'We received your claim.\n\nTrack it',
      }),
    ]);
    expect((await itemOf(alice, response.body.id))!.preview).toBe('We received your claim. Track it');

    // The staff member's own body wins over the canned one.
    const own = await staff.api.post('/v1/conversations', {
      subject: 'Claim received',
      to: [alice.id],
      cannedResponseId: cannedId,
      body: '<p>My own words</p>',
    });
    expect(own.status).toBe(201);
    expect(own.body.messages[0].bodyText).toBe('My own words');

    const conversations = await count('conversation');
    const byMember = await alice.api.post('/v1/conversations', { subject: 'Question', to: [staff.id], cannedResponseId: cannedId });
    expect(byMember.status).toBe(403);
    expect(fieldsOf(byMember)).toEqual(['cannedResponseId']);
    const unknown = await staff.api.post('/v1/conversations', { subject: 'Claim received', to: [alice.id], cannedResponseId: UNKNOWN_ID });
    expect(unknown.status).toBe(422);
    expect(fieldsOf(unknown)).toEqual(['cannedResponseId']);
    const othersCanned = await other.admin.post('/v1/canned-responses', { title: 'Theirs', body: '<p>Not yours</p>' });
    expect(othersCanned.status).toBe(201);
    const foreign = await staff.api.post('/v1/conversations', { subject: 'Claim received', to: [alice.id], cannedResponseId: othersCanned.body.id });
    expect(foreign.status).toBe(422);
    expect(fieldsOf(foreign)).toEqual(['cannedResponseId']);
    expect(await count('conversation')).toBe(conversations);
  });

  test('bad input is refused naming the field, and nothing is half-written', async () => {
    const alicesUpload = await upload(alice.api, 'alice.txt', 'Alice private notes');
    const rows = async () => ({
      conversation: await count('conversation'),
      conversation_message: await count('conversation_message'),
      conversation_participant: await count('conversation_participant'),
      started: (await platform.query<{ n: number }>(`select count(*)::int as n from audit_event where action = 'conversation.started'`))[0].n,
    });
    const before = await rows();

    const cases: Array<[string, unknown, number, string]> = [
      ['empty to', { to: [] }, 400, 'to'],
      ['to without an array', { to: alice.id }, 400, 'to'],
      ['a non-UUID in to', { to: ['alice'] }, 400, 'to'],
      ['an unknown recipient', { to: [UNKNOWN_ID] }, 422, 'to'],
      ['an unknown CC', { to: [alice.id], cc: [UNKNOWN_ID] }, 422, 'cc'],
      ['a recipient from another organisation', { to: [otherMember.id] }, 422, 'to'],
      ['only yourself', { to: [staff.id] }, 422, 'to'],
      ['a missing subject', { subject: undefined, to: [alice.id] }, 400, 'subject'],
      ['a blank subject', { subject: '   ', to: [alice.id] }, 400, 'subject'],
      ['a missing body', { body: undefined, to: [alice.id] }, 422, 'body'],
      ['a body that is only a script', { to: [alice.id], body: '<script>alert(1)</script>' }, 422, 'body'],
      ['a body over 256 KB', { to: [alice.id], body: `<p>${'a'.repeat(256 * 1024)}</p>` }, 413, 'body'],
      ['a body of too many elements', { to: [alice.id], body: '<a>x</a>'.repeat(MAX_RICH_TEXT_ELEMENTS + 1) }, 422, 'body'],
      ['a body of too many pieces of text', { to: [alice.id], body: '<'.repeat(MAX_RICH_TEXT_PIECES + 1) }, 422, 'body'],
      ["someone else's upload", { to: [alice.id], attachmentIds: [alicesUpload.id] }, 422, 'attachmentIds'],
      ['an unknown upload', { to: [alice.id], attachmentIds: [UNKNOWN_ID] }, 422, 'attachmentIds'],
      ['an unknown field', { to: [alice.id], priority: 'high' }, 400, 'priority'],
    ];
    for (const [what, body, status, field] of cases) {
      const response = await start(staff.api, body as Record<string, unknown>);
      expect({ what, status: response.status, fields: fieldsOf(response) }).toEqual({ what, status, fields: [field] });
      expect(response.body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.stringContaining(field) });
    }
    const malformed = await staff.api.request('POST', '/v1/conversations', '{"subject": "Broken", "to": [', {});
    expect(malformed.status).toBe(400);
    expect(fieldsOf(malformed)).toEqual(['body']);

    expect(await rows()).toEqual(before);

    // The upload someone tried to use is still its owner's to attach.
    const owners = await start(alice.api, { to: [staff.id], attachmentIds: [alicesUpload.id] });
    expect(owners.status).toBe(201);
    expect(owners.body.messages[0].attachments).toEqual([expect.objectContaining({ id: alicesUpload.id, filename: 'alice.txt' })]);
  });

  test('the list pages newest first with a cursor, each conversation exactly once; a bad cursor or folder is a 400 naming it', async () => {
    const paging = await createOrganization(platform.baseUrl);
    const [writer, reader] = await Promise.all([addUser(paging, 'staff', 'Wes Writer'), addUser(paging, 'member', 'Rae Reader')]);
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await started(writer.api, { subject: `Conversation ${i}`, to: [reader.id] })).id);

    const pages = async (user: TestUser) => {
      const seen: string[][] = [];
      let cursor: string | null = null;
      do {
        const response: ApiResponse = await user.api.get(`/v1/conversations?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(response.status).toBe(200);
        seen.push(response.body.items.map((item: { id: string }) => item.id));
        cursor = response.body.nextCursor;
      } while (cursor && seen.length < 10);
      return seen;
    };
    const newestFirst = [...ids].reverse();
    for (const user of [reader, writer]) {
      const seen = await pages(user);
      expect(seen.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(seen.flat()).toEqual(newestFirst);
    }

    // A reply brings the oldest conversation to the top.
    await reply(reader, ids[0], '<p>Bumping the first one</p>');
    expect((await pages(reader)).flat()).toEqual([ids[0], ...newestFirst.slice(0, 4)]);

    // Garbage, and well-formed cursors carrying what the database would choke on.
    const forged = (at: unknown, id: unknown) => Buffer.from(JSON.stringify([at, id])).toString('base64url');
    const badCursors = [
      'not-a-cursor',
      forged('2026-01-01T00:00:00.000Z', 'not-a-uuid'),
      forged(-8.64e15, ids[0]),
      forged('-100000-01-01T00:00:00.000Z', ids[0]),
    ];
    for (const cursor of badCursors) {
      const response = await reader.api.get(`/v1/conversations?cursor=${cursor}`);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual(['cursor']);
    }
    for (const [query, field] of [
      ['folder=bogus', 'folder'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['clientAccountId=x', 'clientAccountId'],
    ]) {
      const response = await reader.api.get(`/v1/conversations?${query}`);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual([field]);
    }
  });

  test("every message's workflow can be found in Temporal by its conversation id", async () => {
    const conversation = await started(staff.api, { to: [alice.id], body: '<p>Tracked</p>' });
    const answer = await reply(alice, conversation.id, '<p>Tracked reply</p>');
    const expected = [conversation.firstMessageId, answer.id].map((id) => `conversation-message-${id}`).sort();
    const query = `TidingsConversationId = "${conversation.id}"`;
    await eventually(async () => {
      const found: string[] = [];
      for await (const execution of platform.client.workflow.list({ query })) found.push(execution.workflowId);
      expect(found.sort()).toEqual(expected);
      expect((await platform.client.workflow.count(query)).count).toBe(2);
    });
    await eventually(async () => {
      const found: string[] = [];
      for await (const execution of platform.client.workflow.list({
        query: `TidingsConversationId = "${conversation.id}" AND TidingsMessageId = "${answer.id}" AND TidingsOrganizationId = "${org.id}"`,
      })) {
        found.push(execution.workflowId);
      }
      expect(found).toEqual([`conversation-message-${answer.id}`]);
    });
  });
});
