import { Api, createOrganization, eventually, fieldsOf, secondsFromNow, sleep, TestOrganization } from '../support/api.js';
import { recordHistory } from '../support/histories.js';
import { Platform } from '../support/platform.js';
import { createPushSubscription } from '../fakes/push-service-fake.js';
import { ProviderFakes } from '../support/provider-fakes.js';

/**
 * Scheduled messages end to end: the API and worker as processes on a real PostgreSQL and a real
 * Temporal dev server; SendGrid, Twilio and a push service as loopback fakes reached by the official SDKs.
 */
describe('scheduled messages (end to end)', () => {
  const fakes = new ProviderFakes();
  const { sendgrid, twilio, pushService } = fakes;
  let platform: Platform;
  let org: TestOrganization;
  let staff: Api;
  let member: { id: string; email: string; api: Api };
  let push: ReturnType<typeof createPushSubscription>;

  beforeAll(async () => {
    platform = await new Platform({ env: await fakes.start() }).start();
    org = await createOrganization(platform.baseUrl);
    staff = (await org.addUser('staff')).api;
    member = await org.addUser('member', { phone: '+15551230001' });
    push = createPushSubscription(pushService.baseUrl);
    expect((await member.api.post('/v1/me/push-subscriptions', push.subscription)).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await fakes.stop();
  });

  beforeEach(() => fakes.reset());

  const schedule = (body: Record<string, unknown>, as: Api = staff, headers?: Record<string, string>) =>
    as.post(
      '/v1/messages',
      { recipientId: member.id, title: 'Your claim was approved', body: 'We approved claim 4411 for $1,250.', channels: ['message_center'], ...body },
      headers,
    );

  const inbox = async (who = member.api) => (await who.get('/v1/me/messages')).body.items as Array<{ id: string; unread: boolean; title: string }>;
  const unread = async (who = member.api) => (await who.get('/v1/me/messages/unread-count')).body.count as number;

  test('a message due in a few seconds shows nothing before its time and arrives everywhere right after, saying nothing in privacy mode', async () => {
    const deliverAt = secondsFromNow(3);
    const scheduled = await schedule({ channels: ['message_center', 'push', 'email', 'sms'], deliverAt });
    expect(scheduled.status).toBe(202);
    expect(scheduled.body).toMatchObject({ status: 'scheduled', deliverAt, dismissAt: null, workflowId: `message-${scheduled.body.id}` });
    const id = scheduled.body.id;

    await sleep(1500);
    expect(await inbox()).toEqual([]);
    expect(await unread()).toBe(0);
    expect(sendgrid.received).toHaveLength(0);
    expect(twilio.received).toHaveLength(0);
    expect(pushService.received).toHaveLength(0);
    expect((await staff.get(`/v1/messages/${id}`)).body.status).toBe('scheduled');

    const delivered = await eventually(async () => {
      const message = (await staff.get(`/v1/messages/${id}`)).body;
      expect(message.deliveries.map((d: any) => [d.channel, d.status]).sort()).toEqual([
        ['email', 'sent'],
        ['message_center', 'sent'],
        ['push', 'sent'],
        ['sms', 'sent'],
      ]);
      return message;
    });
    expect(delivered.status).toBe('delivered');
    const lagMs = Date.parse(delivered.deliveredAt) - Date.parse(deliverAt);
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThan(1500);

    expect(await inbox()).toEqual([expect.objectContaining({ id, title: 'Your claim was approved', unread: true })]);
    expect(await unread()).toBe(1);

    // Privacy mode: the outside world learns only that a message waits, and where.
    expect(sendgrid.delivered).toHaveLength(1);
    expect(twilio.delivered).toHaveLength(1);
    expect(pushService.delivered).toHaveLength(1);
    const mail = sendgrid.delivered[0];
    expect(mail.to).toEqual([member.email]);
    const sms = twilio.delivered[0];
    expect(sms.to).toBe('+15551230001');
    const pushed = push.decrypt(pushService.delivered[0].body);
    for (const text of [mail.subject, mail.text, mail.html, sms.body, pushed]) {
      expect(text).not.toContain('claim');
      expect(text).not.toContain('1,250');
    }
    expect(mail.text).toContain(`https://app.tidings.test/messages/${id}`);
    expect(sms.body).toContain('https://app.tidings.test/messages/');
    expect(JSON.parse(pushed).url).toBe(`https://app.tidings.test/messages/${id}`);
    await recordHistory(platform.temporal.address, scheduled.body.workflowId, 'all-channels-awaiting-read');
  });

  test('reading records a receipt the sender sees, clears the unread marker, and is audited', async () => {
    const {
      body: { id },
    } = await schedule({});
    await eventually(async () => expect((await inbox()).map((m) => m.id)).toContain(id));
    const before = await unread();

    const read = await member.api.post(`/v1/me/messages/${id}/read`);
    expect(read.status).toBe(200);
    expect(read.body.unread).toBe(false);
    expect(await unread()).toBe(before - 1);
    const seen = (await staff.get(`/v1/messages/${id}`)).body;
    expect(Date.parse(seen.readAt)).toBeGreaterThan(Date.parse(seen.deliveredAt));
    // Reading again changes nothing.
    expect((await member.api.post(`/v1/me/messages/${id}/read`)).body.readAt).toBe(seen.readAt);

    const audit = await platform.query<{ action: string; actor_id: string }>(
      `select action, actor_id from audit_event where subject_id = $1 order by created_at`,
      [id],
    );
    expect(audit).toEqual([
      { action: 'message.scheduled', actor_id: expect.any(String) },
      { action: 'message.read', actor_id: member.id },
    ]);
    await eventually(async () => expect((await platform.client.workflow.getHandle(seen.workflowId).describe()).status.name).toBe('COMPLETED'));
    await recordHistory(platform.temporal.address, seen.workflowId, 'read-without-dismiss-time');
  });

  test('at its dismiss time a message leaves the message center', async () => {
    const deliverAt = secondsFromNow(1);
    const dismissAt = secondsFromNow(4);
    const {
      body: { id },
    } = await schedule({ deliverAt, dismissAt });
    await eventually(async () => expect((await inbox()).map((m) => m.id)).toContain(id));

    await eventually(async () => expect((await inbox()).map((m) => m.id)).not.toContain(id), 10_000);
    const message = (await staff.get(`/v1/messages/${id}`)).body;
    expect(message.status).toBe('dismissed');
    expect(Date.parse(message.dismissedAt)).toBeGreaterThanOrEqual(Date.parse(dismissAt));
    await recordHistory(platform.temporal.address, message.workflowId, 'dismissed-at-dismiss-time');
  });

  test('the recipient can remove a message from their message center', async () => {
    const {
      body: { id },
    } = await schedule({});
    await eventually(async () => expect((await inbox()).map((m) => m.id)).toContain(id));

    expect((await member.api.delete(`/v1/me/messages/${id}`)).status).toBe(204);
    expect((await inbox()).map((m) => m.id)).not.toContain(id);
    expect((await staff.get(`/v1/messages/${id}`)).body.status).toBe('dismissed');
    expect((await member.api.post(`/v1/me/messages/${id}/read`)).status).toBe(404);
    await recordHistory(platform.temporal.address, `message-${id}`, 'removed-by-recipient');
  });

  test('a message cancelled before its time is never delivered; cancelling after delivery is a conflict', async () => {
    const {
      body: { id },
    } = await schedule({ deliverAt: secondsFromNow(2), channels: ['message_center', 'email'] });
    const cancelled = await staff.post(`/v1/messages/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');

    await sleep(3500);
    expect((await inbox()).map((m) => m.id)).not.toContain(id);
    expect(sendgrid.received).toHaveLength(0);
    expect((await staff.get(`/v1/messages/${id}`)).body.status).toBe('cancelled');

    const { body: sent } = await schedule({});
    await eventually(async () => expect((await staff.get(`/v1/messages/${sent.id}`)).body.status).toBe('delivered'));
    const late = await staff.post(`/v1/messages/${sent.id}/cancel`);
    expect(late.status).toBe(409);
    expect(late.body.message).toContain('delivered');

    const audit = await platform.query<{ action: string }>(`select action from audit_event where subject_id = $1 order by created_at`, [id]);
    expect(audit.map((a) => a.action)).toEqual(['message.scheduled', 'message.cancelled']);
    await recordHistory(platform.temporal.address, `message-${id}`, 'cancelled-before-delivery');
  });

  test('moving the delivery time later delivers at the new time, not the old one; after delivery it is a conflict', async () => {
    const {
      body: { id },
    } = await schedule({ deliverAt: secondsFromNow(1) });
    const newTime = secondsFromNow(4);
    const moved = await staff.patch(`/v1/messages/${id}`, { deliverAt: newTime });
    expect(moved.status).toBe(200);
    expect(moved.body.deliverAt).toBe(newTime);

    await sleep(2500);
    expect((await staff.get(`/v1/messages/${id}`)).body.status).toBe('scheduled');
    const delivered = await eventually(async () => {
      const message = (await staff.get(`/v1/messages/${id}`)).body;
      expect(message.status).toBe('delivered');
      return message;
    });
    expect(Date.parse(delivered.deliveredAt)).toBeGreaterThanOrEqual(Date.parse(newTime));

    const tooLate = await staff.patch(`/v1/messages/${id}`, { deliverAt: secondsFromNow(60) });
    expect(tooLate.status).toBe(409);
    // The dismiss time can still move after delivery.
    expect((await staff.patch(`/v1/messages/${id}`, { dismissAt: secondsFromNow(3600) })).status).toBe(200);
    await recordHistory(platform.temporal.address, delivered.workflowId, 'rescheduled-then-dismiss-moved');
  });

  test('a provider outage is retried until it recovers; a permanent refusal fails that channel at once and the rest still go out', async () => {
    sendgrid.failNext(2, 503);
    const retried = (await schedule({ channels: ['message_center', 'email'] })).body.id;
    const email = await eventually(async () => {
      const message = (await staff.get(`/v1/messages/${retried}`)).body;
      const delivery = message.deliveries.find((d: any) => d.channel === 'email');
      expect(delivery.status).toBe('sent');
      return delivery;
    }, 20_000);
    expect(email.attempts).toBe(3);
    expect(sendgrid.delivered).toHaveLength(1);

    twilio.rejectNumber('+15551230001', 21211);
    const refused = (await schedule({ channels: ['message_center', 'sms'] })).body.id;
    const message = await eventually(async () => {
      const m = (await staff.get(`/v1/messages/${refused}`)).body;
      expect(m.deliveries.find((d: any) => d.channel === 'sms').status).toBe('failed');
      return m;
    });
    const sms = message.deliveries.find((d: any) => d.channel === 'sms');
    expect(sms.attempts).toBe(1);
    expect(sms.lastError).toMatch(/21211|not a valid phone number/);
    expect(sms.lastError).not.toContain('5551230001');
    expect(message.deliveries.find((d: any) => d.channel === 'message_center').status).toBe('sent');
    expect(message.status).toBe('delivered');
    await recordHistory(platform.temporal.address, `message-${retried}`, 'email-retried-after-outage');
    await recordHistory(platform.temporal.address, `message-${refused}`, 'sms-refused-for-good');
  });

  test('a channel the recipient cannot receive is skipped, and an expired push subscription is forgotten', async () => {
    const noPhone = await org.addUser('member');
    const {
      body: { id },
    } = await schedule({ recipientId: noPhone.id, channels: ['sms', 'push', 'message_center'] });
    const message = await eventually(async () => {
      const m = (await staff.get(`/v1/messages/${id}`)).body;
      expect(m.deliveries.every((d: any) => d.status !== 'pending')).toBe(true);
      return m;
    });
    expect(message.deliveries.map((d: any) => [d.channel, d.status]).sort()).toEqual([
      ['message_center', 'sent'],
      ['push', 'skipped'],
      ['sms', 'skipped'],
    ]);

    const gone = createPushSubscription(pushService.baseUrl);
    await noPhone.api.post('/v1/me/push-subscriptions', gone.subscription);
    pushService.expireSubscription(gone.subscription.endpoint);
    const second = (await schedule({ recipientId: noPhone.id, channels: ['push'] })).body.id;
    await eventually(async () => expect((await staff.get(`/v1/messages/${second}`)).body.deliveries[0].status).toBe('skipped'));
    expect(await platform.query(`select 1 from push_subscription where endpoint = $1`, [gone.subscription.endpoint])).toEqual([]);
  });

  test('a retried POST with the same Idempotency-Key returns the first answer instead of a second message', async () => {
    const key = `retry-${Date.now()}`;
    const first = await schedule({ deliverAt: secondsFromNow(3600) }, staff, { 'idempotency-key': key });
    const again = await schedule({ deliverAt: first.body.deliverAt }, staff, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await platform.query(`select id from message where idempotency_key = $1`, [key])).toHaveLength(1);

    const different = await schedule({ title: 'Another title', deliverAt: first.body.deliverAt }, staff, { 'idempotency-key': key });
    expect(different.status).toBe(422);
    expect(different.body.details[0].field).toBe('Idempotency-Key');

    // A client that retries before its first request answered: the racers all get the one message.
    const raced = `race-${Date.now()}`;
    const deliverAt = secondsFromNow(3600);
    const answers = await Promise.all(Array.from({ length: 5 }, () => schedule({ deliverAt }, staff, { 'idempotency-key': raced })));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(await platform.query(`select id from message where idempotency_key = $1`, [raced])).toHaveLength(1);
    expect(await platform.query(`select id from audit_event where subject_id = $1 and action = 'message.scheduled'`, [answers[0].body.id])).toHaveLength(1);
  });

  test('convenience mode puts the title and body in email, SMS and push', async () => {
    const convenient = await createOrganization(platform.baseUrl, { notificationMode: 'convenience' });
    const reader = await convenient.addUser('member', { phone: '+15551230002' });
    const subscription = createPushSubscription(pushService.baseUrl);
    await reader.api.post('/v1/me/push-subscriptions', subscription.subscription);

    await convenient.admin.post('/v1/messages', {
      recipientId: reader.id,
      title: 'Lab results ready',
      body: 'Your A1C is 5.4.',
      channels: ['email', 'sms', 'push'],
    });
    await eventually(async () => {
      expect(sendgrid.delivered).toHaveLength(1);
      expect(twilio.delivered).toHaveLength(1);
      expect(pushService.delivered).toHaveLength(1);
    });
    expect(sendgrid.delivered[0].subject).toBe('Lab results ready');
    expect(sendgrid.delivered[0].text).toContain('Your A1C is 5.4.');
    expect(twilio.delivered[0].body).toContain('Your A1C is 5.4.');
    expect(JSON.parse(subscription.decrypt(pushService.delivered[0].body))).toMatchObject({ title: 'Lab results ready', body: expect.stringContaining('A1C') });
  });

  test("members see each channel's status of their own message, never the provider's error text, the attempts or the timeline; staff see them", async () => {
    const texted = await org.addUser('member', { phone: '+15551230003' });
    twilio.rejectNumber('+15551230003', 21211);
    const { id } = (await schedule({ recipientId: texted.id, channels: ['message_center', 'sms'] })).body;
    await eventually(async () => expect((await staff.get(`/v1/messages/${id}`)).body.deliveries.find((d: any) => d.channel === 'sms').status).toBe('failed'));
    const staffView = (await staff.get(`/v1/messages/${id}`)).body;
    expect(staffView.deliveries.find((d: any) => d.channel === 'sms')).toMatchObject({
      attempts: 1,
      lastError: expect.stringMatching(/21211|not a valid/),
      timeline: [expect.anything()],
    });
    expect(staffView.workflowId).toBe(`message-${id}`);

    const own = await texted.api.get(`/v1/messages/${id}`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id, status: 'delivered', title: 'Your claim was approved' });
    expect(own.body.deliveries).toEqual([
      { channel: 'message_center', status: 'sent', sentAt: expect.any(String) },
      { channel: 'sms', status: 'failed', sentAt: null },
    ]);
    expect(own.body).not.toHaveProperty('workflowId');
    expect(JSON.stringify(own.body)).not.toMatch(/lastError|attempts|timeline|21211|valid phone/);
  });

  describe('push subscriptions', () => {
    const subscribe = (who: Api, endpoint: string, keys = createPushSubscription('https://unused.test').subscription.keys) =>
      who.post('/v1/me/push-subscriptions', { endpoint, keys });
    const rowsOf = (userId: string) =>
      platform.query<{ endpoint: string }>(`select endpoint from push_subscription where user_id = $1 order by created_at`, [userId]);

    test('an endpoint must be https and must not point at link-local (cloud metadata), unspecified or multicast addresses, even with PUSH_ALLOW_PRIVATE_HOSTS: 422 naming endpoint with the reason, and nothing is stored', async () => {
      const someone = await org.addUser('member');
      const cases: Array<[string, string | RegExp]> = [
        [`${pushService.baseUrl.replace('https:', 'http:')}/push/plain`, 'must be an https URL'],
        ['https://169.254.169.254/latest/meta-data/iam/security-credentials/', 'must not point at a link-local address'],
        ['https://[::ffff:169.254.169.254]/push/1', 'must not point at a link-local address'],
        ['https://[fe80::1]/push/1', 'must not point at a link-local address'],
        ['https://0.0.0.0/push/1', 'must not point at an unspecified address'],
        ['https://224.0.0.1/push/1', 'must not point at a multicast address'],
        ['https://user:password@fcm.googleapis.com/fcm/send/1', 'must not carry a user name or password'],
        // .invalid never resolves (RFC 6761).
        ['https://push.invalid/push/1', /^host could not be resolved \(E[A-Z_]+\)$/],
      ];
      for (const [endpoint, reason] of cases) {
        const refused = await subscribe(someone.api, endpoint);
        expect({ endpoint, status: refused.status }).toEqual({ endpoint, status: 422 });
        expect(refused.body.details).toEqual([{ field: 'endpoint', message: reason instanceof RegExp ? expect.stringMatching(reason) : reason }]);
      }
      expect(await rowsOf(someone.id)).toEqual([]);
    });

    test('at most 10 subscriptions per user, also when they arrive at once: the 11th is 409 naming the limit; re-subscribing one of the 10 still works and removing one makes room', async () => {
      const gadgeteer = await org.addUser('member');
      const devices = Array.from({ length: 12 }, () => createPushSubscription(pushService.baseUrl).subscription);
      const answers = await Promise.all(devices.map((device) => gadgeteer.api.post('/v1/me/push-subscriptions', device)));
      expect(answers.map((answer) => answer.status).sort()).toEqual([...Array(10).fill(201), 409, 409]);
      const refused = answers.find((answer) => answer.status === 409)!;
      expect(refused.body.message).toMatch(/^a user may have at most 10 push subscriptions/);
      expect(await rowsOf(gadgeteer.id)).toHaveLength(10);

      const kept = devices[answers.findIndex((answer) => answer.status === 201)]!;
      const again = await gadgeteer.api.post('/v1/me/push-subscriptions', kept);
      expect(again.status).toBe(201);
      const late = devices[answers.findIndex((answer) => answer.status === 409)]!;
      expect((await gadgeteer.api.post('/v1/me/push-subscriptions', late)).status).toBe(409);
      expect((await gadgeteer.api.delete(`/v1/me/push-subscriptions?endpoint=${encodeURIComponent(kept.endpoint)}`)).status).toBe(204);
      expect((await gadgeteer.api.post('/v1/me/push-subscriptions', late)).status).toBe(201);
      expect(await rowsOf(gadgeteer.id)).toHaveLength(10);
    });

    test("a browser's PushSubscription.toJSON() is taken as it is, expirationTime included", async () => {
      const someone = await org.addUser('member');
      const device = createPushSubscription(pushService.baseUrl).subscription;
      expect(await someone.api.post('/v1/me/push-subscriptions', { ...device, expirationTime: null })).toMatchObject({ status: 201 });
      const expiring = createPushSubscription(pushService.baseUrl).subscription;
      expect(await someone.api.post('/v1/me/push-subscriptions', { ...expiring, expirationTime: Date.now() + 86_400_000 })).toMatchObject({ status: 201 });
      expect(fieldsOf(await someone.api.post('/v1/me/push-subscriptions', { ...expiring, expirationTime: 'tomorrow' }))).toEqual(['expirationTime']);
    });

    test("subscribing never takes over another user's endpoint (409, nothing changes); the same user subscribing it again updates their own keys", async () => {
      const owner = await org.addUser('member');
      const intruder = await org.addUser('member');
      const device = createPushSubscription(pushService.baseUrl).subscription;
      const first = await owner.api.post('/v1/me/push-subscriptions', device);
      expect(first.status).toBe(201);

      const takeover = await subscribe(intruder.api, device.endpoint);
      expect(takeover.status).toBe(409);
      expect(takeover.body.details).toEqual([{ field: 'endpoint', message: expect.stringContaining('already registered to another user') }]);
      const stored = () => platform.query(`select id, user_id, p256dh, auth from push_subscription where endpoint = $1`, [device.endpoint]);
      expect(await stored()).toEqual([{ id: first.body.id, user_id: owner.id, p256dh: device.keys.p256dh, auth: device.keys.auth }]);

      const renewed = createPushSubscription('https://unused.test').subscription.keys;
      const again = await subscribe(owner.api, device.endpoint, renewed);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(await stored()).toEqual([{ id: first.body.id, user_id: owner.id, p256dh: renewed.p256dh, auth: renewed.auth }]);

      // Two users racing for one new endpoint: one gets it, the other 409.
      const contested = createPushSubscription(pushService.baseUrl).subscription;
      const raced = await Promise.all([owner.api.post('/v1/me/push-subscriptions', contested), intruder.api.post('/v1/me/push-subscriptions', contested)]);
      expect(raced.map((answer) => answer.status).sort()).toEqual([201, 409]);
      expect(await platform.query(`select 1 from push_subscription where endpoint = $1`, [contested.endpoint])).toHaveLength(1);
    });
  });

  describe('who may do what', () => {
    let other: TestOrganization;
    let messageId: string;

    beforeAll(async () => {
      other = await createOrganization(platform.baseUrl);
      messageId = (await schedule({ deliverAt: secondsFromNow(3600) })).body.id;
    });

    test("another organisation's message, user or recipient answers as if it did not exist", async () => {
      expect((await other.admin.get(`/v1/messages/${messageId}`)).status).toBe(404);
      expect((await other.admin.post(`/v1/messages/${messageId}/cancel`)).status).toBe(404);
      expect((await other.admin.patch(`/v1/messages/${messageId}`, { deliverAt: secondsFromNow(60) })).status).toBe(404);
      expect((await other.admin.get(`/v1/users/${member.id}`)).status).toBe(404);
      expect((await other.admin.get('/v1/messages')).body.items).toEqual([]);
      const toStranger = await other.admin.post('/v1/messages', { recipientId: member.id, title: 't', body: 'b', channels: ['message_center'] });
      expect(toStranger.status).toBe(422);
      expect(toStranger.body.details).toEqual([{ field: 'recipientId', message: expect.stringContaining('not a user of your organization') }]);
      expect((await staff.get(`/v1/messages/${messageId}`)).status).toBe(200);
    });

    test('a deactivated recipient gets nothing new: 422 naming recipientId, for plain text and templates alike, and nothing is written', async () => {
      const gone = await org.addUser('member');
      expect((await org.admin.patch(`/v1/users/${gone.id}`, { status: 'deactivated' })).status).toBe(200);
      const before = await platform.query(`select count(*)::int as n from message`);
      for (const title of ['Your claim was approved', 'Hello {{recipient.firstName}}']) {
        const refused = await schedule({ recipientId: gone.id, title });
        expect(refused.status).toBe(422);
        expect(refused.body.details).toEqual([{ field: 'recipientId', message: 'is a deactivated user; nothing new can be sent to them' }]);
      }
      expect(await platform.query(`select count(*)::int as n from message`)).toEqual(before);
      expect((await org.admin.patch(`/v1/users/${gone.id}`, { status: 'active' })).status).toBe(200);
      expect((await schedule({ recipientId: gone.id, deliverAt: secondsFromNow(3600) })).status).toBe(202);
    });

    test('members read only their own messages and cannot send, list, cancel or add users', async () => {
      const otherMember = await org.addUser('member');
      expect((await otherMember.api.get(`/v1/messages/${messageId}`)).status).toBe(404);
      expect((await member.api.get(`/v1/messages/${messageId}`)).status).toBe(200);
      expect((await schedule({}, member.api)).status).toBe(403);
      expect((await member.api.get('/v1/messages')).status).toBe(403);
      expect((await member.api.post(`/v1/messages/${messageId}/cancel`)).status).toBe(403);
      expect((await member.api.post('/v1/users', { email: 'x@example.org', name: 'x', role: 'admin' })).status).toBe(403);
      expect((await staff.post('/v1/users', { email: 'y@example.org', name: 'y', role: 'admin' })).status).toBe(403);
      expect((await new Api(platform.baseUrl).get('/v1/me/messages')).status).toBe(401);
      expect((await new Api(platform.baseUrl, 'not-a-token').get('/v1/me/messages')).status).toBe(401);
    });

    test('staff list messages by recipient and status, a page at a time', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await schedule({ deliverAt: secondsFromNow(7200) })).body.id);
      const first = await staff.get(`/v1/messages?recipientId=${member.id}&status=scheduled&limit=2`);
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      const second = await staff.get(`/v1/messages?recipientId=${member.id}&status=scheduled&limit=2&cursor=${first.body.nextCursor}`);
      const seen = [...first.body.items, ...second.body.items].map((m: any) => m.id);
      expect(seen).toEqual(expect.arrayContaining(ids));
      expect(new Set(seen).size).toBe(seen.length);
      expect(first.body.items.every((m: any) => m.status === 'scheduled' && m.recipientId === member.id)).toBe(true);
      // Each names its recipient, as the User Messages dashboard shows it.
      const { body: recipient } = await staff.get(`/v1/users/${member.id}`);
      expect(first.body.items.map((m: any) => m.recipientName)).toEqual([recipient.name, recipient.name]);
    });
  });

  describe('bad input is a 4xx naming the field, and nothing is written', () => {
    const cases: Array<[string, () => Record<string, unknown>, number, string]> = [
      ['dismissAt not after deliverAt', () => ({ deliverAt: secondsFromNow(60), dismissAt: secondsFromNow(30) }), 400, 'dismissAt'],
      ['deliverAt more than a year ahead', () => ({ deliverAt: secondsFromNow(400 * 86400) }), 400, 'deliverAt'],
      ['deliverAt not a date', () => ({ deliverAt: 'tomorrow' }), 400, 'deliverAt'],
      ['an unknown recipient', () => ({ recipientId: '00000000-0000-4000-8000-000000000000' }), 422, 'recipientId'],
      ['an empty title', () => ({ title: '   ' }), 400, 'title'],
      ['an oversized body', () => ({ body: 'x'.repeat(70 * 1024) }), 413, 'body'],
      ['an unknown channel', () => ({ channels: ['fax'] }), 400, 'channels'],
      ['no channels', () => ({ channels: [] }), 400, 'channels'],
      ['an unknown field', () => ({ priority: 'high' }), 400, 'priority'],
    ];

    test.each(cases)('%s', async (_name, body, status, field) => {
      const before = await platform.query(`select count(*)::int as n from message`);
      const response = await schedule(body());
      expect(response.status).toBe(status);
      expect(response.body.statusCode).toBe(status);
      expect(response.body.details.map((d: any) => d.field)).toContain(field);
      expect(await platform.query(`select count(*)::int as n from message`)).toEqual(before);
    });

    test('malformed JSON', async () => {
      const response = await staff.request('POST', '/v1/messages', '{"title": "unterminated', { 'content-type': 'application/json' });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request', details: [{ field: 'body' }] });
    });

    test('a path id that is not a UUID', async () => {
      const response = await staff.get('/v1/messages/not-a-uuid');
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([{ field: 'id', message: 'must be a UUID' }]);
    });

    test('an organisation needs the bootstrap token, and a user a unique email', async () => {
      const anonymous = new Api(platform.baseUrl);
      expect((await anonymous.post('/v1/organizations', { name: 'x', admin: { email: 'a@b.org', name: 'a', password: 'long enough password' } })).status).toBe(
        401,
      );
      const duplicate = await org.admin.post('/v1/users', { email: member.email, name: 'dup', role: 'member' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.details).toEqual([{ field: 'email', message: 'is already in use' }]);
    });

    test('repeated wrong passwords are refused for a while', async () => {
      const anonymous = new Api(platform.baseUrl);
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await anonymous.post('/v1/auth/login', { email: member.email, password: 'wrong password' })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      expect((await anonymous.post('/v1/auth/login', { email: member.email, password: 'a long test password' })).status).toBe(429);
    });
  });

  test("an engineer finds a message's workflow by message id, recipient or organisation", async () => {
    const { body: scheduled } = await schedule({ deliverAt: secondsFromNow(3600) });
    for (const query of [
      `TidingsMessageId = "${scheduled.id}"`,
      `TidingsRecipientId = "${member.id}" AND TidingsMessageId = "${scheduled.id}"`,
      `TidingsOrganizationId = "${org.id}" AND WorkflowId = "${scheduled.workflowId}"`,
    ]) {
      await eventually(async () => {
        const found = [];
        for await (const execution of platform.client.workflow.list({ query })) found.push(execution.workflowId);
        expect(found).toEqual([scheduled.workflowId]);
      });
    }
  });

  test('health answers 200 with the database and Temporal up, and the OpenAPI document is served', async () => {
    const health = await new Api(platform.baseUrl).get('/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', database: 'up', temporal: 'up' } });
    const docs = await new Api(platform.baseUrl).get('/docs/openapi.json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/v1/messages', '/v1/me/messages', '/v1/auth/login']));
  });

  test('no message content or recipient address reaches the logs', async () => {
    const {
      body: { id },
    } = await schedule({ title: 'Secret-title-7731', body: 'Secret-body-7731', channels: ['message_center', 'email', 'sms'] });
    await eventually(async () => expect((await staff.get(`/v1/messages/${id}`)).body.status).toBe('delivered'));
    await sleep(500);
    const logs = platform.api.output + platform.worker.output;
    expect(logs).not.toContain('Secret-title-7731');
    expect(logs).not.toContain('Secret-body-7731');
    expect(logs).not.toContain(member.email);
    expect(logs).not.toContain('5551230001');
  });
});
