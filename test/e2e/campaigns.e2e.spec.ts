import { Api, createOrganization, eventually, fieldsOf, secondsFromNow, sleep, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { recordHistory } from '../support/histories.js';
import { Platform } from '../support/platform.js';
import { ProviderFakes } from '../support/provider-fakes.js';

/**
 * Campaigns end to end: the API and worker as processes on a real PostgreSQL and Temporal dev server,
 * SendGrid as a loopback fake reached by the official SDK. Crowds of recipients are inserted with SQL
 * (they need no password); the few who look at their message center log in through the API.
 */
describe('campaigns (end to end)', () => {
  const fakes = new ProviderFakes();
  const { sendgrid } = fakes;
  let platform: Platform;
  let org: TestOrganization;
  let other: TestOrganization;
  let ann: { id: string; email: string; api: Api };
  let bob: { id: string; email: string; api: Api };
  let staff: { id: string; email: string; api: Api };

  beforeAll(async () => {
    platform = await new Platform({ env: await fakes.start() }).start();
    [org, other] = await Promise.all([
      createOrganization(platform.baseUrl, { notificationMode: 'convenience', name: 'Harbor Health' }),
      createOrganization(platform.baseUrl),
    ]);
    [ann, bob, staff] = await Promise.all([
      org.addUser('member', { name: 'Ann Archer' }),
      org.addUser('member', { name: 'Bob Baker' }),
      org.addUser('staff', { name: 'Sam Staff' }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await fakes.stop();
  });

  beforeEach(() => fakes.reset());

  /** `count` members of the organisation, inserted directly; their ids in order. */
  const crowd = async (count: number, tag: string): Promise<string[]> => {
    const rows = await platform.query<{ id: string }>(
      `insert into app_user (id, organization_id, email, name, role, created_at)
       select gen_random_uuid(), $1::uuid, $2::text || '-' || n || '@crowd.test', 'Crowd Member ' || n, 'member', now() from generate_series(1, $3::int) n
       returning id`,
      [org.id, tag, count],
    );
    return rows.map((row) => row.id);
  };
  const schedule = (body: Record<string, unknown>, api: Api = org.admin) =>
    api.post('/v1/campaigns', {
      name: 'Open enrolment',
      title: 'Hello {{recipient.firstName}}',
      body: 'Dear {{recipient.name}}, {{organization.name}} is open.',
      channels: ['message_center', 'email'],
      ...body,
    });
  const scheduled = async (body: Record<string, unknown>) => {
    const response = await schedule(body);
    expect(response).toMatchObject({ status: 202, body: { status: 'scheduled', workflowId: `campaign-${response.body.id}` } });
    return response.body.id as string;
  };
  const campaign = async (id: string) => (await org.admin.get(`/v1/campaigns/${id}`)).body;
  const finished = (id: string, status = 'completed', timeoutMs = 180_000) =>
    eventually(async () => {
      const view = await campaign(id);
      expect(view.status).toBe(status);
      return view;
    }, timeoutMs);
  const messageCenter = async (api: Api) => (await api.get('/v1/me/messages')).body.items as Array<{ title: string; body: string }>;

  test('a list of users: each gets one message-center entry and one email, in their own words; unknown ids are skipped', async () => {
    const others = await crowd(2_300, 'list');
    const id = await scheduled({ audience: { userIds: [ann.id, bob.id, ...others, UNKNOWN_ID, ann.id] } });
    const view = await finished(id);
    const included = others.length + 2;
    expect(view).toMatchObject({
      recipients: included,
      skipped: 1,
      channels: {
        message_center: { sent: included, pending: 0, failed: 0 },
        email: { sent: included, pending: 0, failed: 0 },
      },
    });
    expect(await messageCenter(ann.api)).toContainEqual(expect.objectContaining({ title: 'Hello Ann', body: 'Dear Ann Archer, Harbor Health is open.' }));
    const [{ n }] = await platform.query<{ n: number }>(`select count(*)::int as n from message where campaign_id = $1`, [id]);
    expect(n).toBe(included);

    // One SendGrid request per batch of up to 1,000, each recipient in it once, with their own subject.
    expect(sendgrid.delivered).toHaveLength(Math.ceil(included / 1000));
    const emails = sendgrid.deliveredEmails;
    expect(new Set(emails.map((email) => email.to)).size).toBe(included);
    expect(emails.find((email) => email.to === ann.email)).toMatchObject({
      subject: 'Hello Ann',
      text: expect.stringContaining('Dear Ann Archer, Harbor Health is open.'),
    });
    expect(emails.every((email) => email.deliveryId)).toBe(true);
    await recordHistory(platform.temporal.address, `campaign-${id}`, 'campaign-completed');
  }, 120_000);

  test('every message of the campaign leaves the message center at its dismiss time, by one rule', async () => {
    const title = 'Briefly, {{recipient.firstName}}';
    const id = await scheduled({ title, channels: ['message_center'], audience: { userIds: [ann.id, bob.id] }, dismissAt: secondsFromNow(6) });
    await finished(id);
    expect((await messageCenter(bob.api)).map((m) => m.title)).toContain('Briefly, Bob');
    await eventually(async () => expect((await messageCenter(bob.api)).map((m) => m.title)).not.toContain('Briefly, Bob'), 20_000);
    const annSees = (await messageCenter(ann.api)).map((m) => m.title);
    // This campaign's entries have gone for everyone; the first campaign's, with no dismiss time, stay.
    expect(annSees).not.toContain('Briefly, Ann');
    expect(annSees).toContain('Hello Ann');
  }, 60_000);

  test('a segment: members of a program', async () => {
    const program = (await org.admin.post('/v1/programs', { name: 'Campaign Care' })).body.id;
    expect(await org.admin.post(`/v1/programs/${program}/enrollments`, { memberId: bob.id, careManagerId: staff.id })).toMatchObject({ status: 201 });
    const id = await scheduled({ channels: ['message_center'], audience: { segment: { roles: ['member'], programIds: [program] } } });
    expect(await finished(id)).toMatchObject({ recipients: 1, skipped: 0 });
    const recipients = await platform.query<{ recipient_id: string }>(`select recipient_id from message where campaign_id = $1`, [id]);
    expect(recipients).toEqual([{ recipient_id: bob.id }]);
  }, 60_000);

  test('a CSV of emails: known addresses included, unknown rows skipped with the reason', async () => {
    const form = new FormData();
    const csv = `name,Email\r\n"Archer, Ann",${ann.email}\r\nNobody,nobody@nowhere.test\r\n`;
    form.append('file', new Blob([Buffer.from(csv)], { type: 'text/csv' }), 'audience.csv');
    const uploaded = await fetch(`${platform.baseUrl}/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${org.admin.token}` }, body: form });
    expect(uploaded.status).toBe(201);
    const attachment = (await uploaded.json()) as { id: string };
    const id = await scheduled({ channels: ['message_center'], audience: { csvAttachmentId: attachment.id } });
    expect(await finished(id)).toMatchObject({ recipients: 1, skipped: 1 });
    const rows = await platform.query<{ status: string; given: string | null; skip_reason: string | null }>(
      `select status, given, skip_reason from campaign_recipient where campaign_id = $1 order by seq`,
      [id],
    );
    expect(rows).toEqual([
      { status: 'included', given: null, skip_reason: null },
      { status: 'skipped', given: 'nobody@nowhere.test', skip_reason: expect.any(String) },
    ]);
  }, 60_000);

  test('a deactivated user, named in a list or matched by a segment, is skipped as deactivated and gets nothing', async () => {
    const dee = await org.addUser('member', { name: 'Dee Departed' });
    const program = (await org.admin.post('/v1/programs', { name: 'Departures' })).body.id;
    for (const memberId of [dee.id, ann.id]) {
      expect(await org.admin.post(`/v1/programs/${program}/enrollments`, { memberId, careManagerId: staff.id })).toMatchObject({ status: 201 });
    }
    expect((await org.admin.patch(`/v1/users/${dee.id}`, { status: 'deactivated' })).body.status).toBe('deactivated');

    const listed = await scheduled({ audience: { userIds: [ann.id, dee.id, bob.id] } });
    expect(await finished(listed)).toMatchObject({
      recipients: 2,
      skipped: 1,
      channels: { message_center: { sent: 2, pending: 0 }, email: { sent: 2, pending: 0 } },
    });
    const { body: page } = await org.admin.get(`/v1/campaigns/${listed}/recipients?channel=message_center`);
    expect(page.items.map((row: { userId: string; status: string; skipReason: string | null }) => [row.userId, row.status, row.skipReason])).toEqual([
      [ann.id, 'sent', null],
      [dee.id, 'skipped', 'deactivated'],
      [bob.id, 'sent', null],
    ]);

    const segment = await scheduled({ channels: ['message_center'], audience: { segment: { programIds: [program] } } });
    expect(await finished(segment)).toMatchObject({ recipients: 1, skipped: 1 });
    const skippedRows = await platform.query<{ user_id: string; status: string; skip_reason: string }>(
      `select user_id, status, skip_reason from campaign_recipient where campaign_id = $1 and status = 'skipped'`,
      [segment],
    );
    expect(skippedRows).toEqual([{ user_id: dee.id, status: 'skipped', skip_reason: 'deactivated' }]);

    const messages = await platform.query<{ campaign_id: string }>(`select campaign_id from message where recipient_id = $1`, [dee.id]);
    expect(messages).toEqual([]);
    expect(sendgrid.deliveredEmails.map((email) => email.to)).not.toContain(dee.email);
  }, 60_000);

  test('pause holds back the next batches; resume goes on from there; each recipient gets one email', async () => {
    const people = await crowd(6_000, 'pause');
    // The first batches' requests take a while, so the pause lands while they are in flight.
    sendgrid.delayNext(3_000, 4);
    const id = await scheduled({ channels: ['email'], audience: { userIds: people } });
    await sendgrid.whenReceived(1);
    const paused = await org.admin.post(`/v1/campaigns/${id}/pause`);
    expect(paused).toMatchObject({ status: 200, body: { status: 'paused' } });
    await sleep(5_000);
    const requestsWhilePaused = sendgrid.received.length;
    expect(requestsWhilePaused).toBeLessThanOrEqual(4);
    await sleep(2_000);
    expect(sendgrid.received.length).toBe(requestsWhilePaused);
    expect((await campaign(id)).channels.email.pending).toBeGreaterThan(0);
    expect(await org.admin.post(`/v1/campaigns/${id}/pause`)).toMatchObject({ status: 409 });

    expect(await org.admin.post(`/v1/campaigns/${id}/resume`)).toMatchObject({ status: 200, body: { status: 'running' } });
    expect(await finished(id)).toMatchObject({ channels: { email: { sent: 6_000, pending: 0 } } });
    const emails = sendgrid.deliveredEmails.map((email) => email.to);
    expect(emails).toHaveLength(6_000);
    expect(new Set(emails).size).toBe(6_000);
    expect(await org.admin.post(`/v1/campaigns/${id}/resume`)).toMatchObject({ status: 409 });
  }, 120_000);

  test('cancel sends nothing more', async () => {
    const people = await crowd(6_000, 'cancel');
    sendgrid.delayNext(3_000, 4);
    const id = await scheduled({ channels: ['email'], audience: { userIds: people } });
    await sendgrid.whenReceived(1);
    expect(await org.admin.post(`/v1/campaigns/${id}/cancel`)).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    await sleep(6_000);
    const sent = sendgrid.received.length;
    expect(sent).toBeLessThanOrEqual(4);
    await sleep(2_000);
    expect(sendgrid.received.length).toBe(sent);
    expect(await campaign(id)).toMatchObject({ status: 'cancelled', channels: { email: { pending: 0 } } });
    expect(await org.admin.post(`/v1/campaigns/${id}/cancel`)).toMatchObject({ status: 409 });
  }, 60_000);

  test('before it starts, the delivery time moves; after, only the dismiss time does', async () => {
    const id = await scheduled({ channels: ['message_center'], audience: { userIds: [bob.id] }, deliverAt: secondsFromNow(3600) });
    const moved = await org.admin.patch(`/v1/campaigns/${id}`, { deliverAt: secondsFromNow(2) });
    expect(moved).toMatchObject({ status: 200 });
    await finished(id);
    expect(await org.admin.patch(`/v1/campaigns/${id}`, { deliverAt: secondsFromNow(60) })).toMatchObject({ status: 409 });
    expect(await org.admin.patch(`/v1/campaigns/${id}`, { dismissAt: secondsFromNow(3600) })).toMatchObject({ status: 200 });
    expect((await org.admin.get(`/v1/campaigns/${id}/preview?userId=${ann.id}`)).body).toEqual({
      userId: ann.id,
      title: 'Hello Ann',
      body: 'Dear Ann Archer, Harbor Health is open.',
    });
    expect((await org.admin.get('/v1/campaigns')).body.items.map((item: { id: string }) => item.id)).toContain(id);
  }, 60_000);

  test('quiet hours: a recipient for whom it is night gets the SMS when the night ends; the others at once', async () => {
    const [night, day] = await Promise.all([
      org.addUser('member', { name: 'Nora Night', phone: '+15555550101' }),
      org.addUser('member', { name: 'Dan Day', phone: '+15555550102' }),
    ]);
    // Nora lives in Auckland; quiet hours there from an hour ago until the minute after next. Dan keeps the organisation's UTC.
    expect(await org.admin.patch(`/v1/users/${night.id}`, { timezone: 'Pacific/Auckland' })).toMatchObject({
      status: 200,
      body: { timezone: 'Pacific/Auckland' },
    });
    const auckland = (offsetMinutes: number) =>
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Pacific/Auckland', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
        new Date(Date.now() + offsetMinutes * 60_000),
      );
    const quietHours = { start: auckland(-60), end: auckland(2) };
    expect(await org.admin.patch('/v1/organization/settings', { quietHours })).toMatchObject({ status: 200 });
    try {
      const id = await scheduled({ channels: ['sms'], audience: { userIds: [night.id, day.id] } });
      await eventually(async () => expect(fakes.twilio.delivered.map((sms) => sms.to)).toEqual(['+15555550102']));
      // The fake has the text before the ledger records the provider's answer.
      await eventually(async () => expect((await campaign(id)).channels.sms).toMatchObject({ sent: 1, deferred: 1 }));
      const held = await platform.query<{ not_before: Date }>(`select not_before from delivery where subject_id = $1 and recipient_id = $2`, [id, night.id]);
      expect(new Date(held[0].not_before).getTime()).toBeGreaterThan(Date.now());
      await finished(id);
      expect(fakes.twilio.delivered.map((sms) => sms.to).sort()).toEqual(['+15555550101', '+15555550102']);
      expect((await campaign(id)).channels.sms).toMatchObject({ sent: 2, deferred: 0, pending: 0 });
    } finally {
      await org.admin.patch('/v1/organization/settings', { quietHours: null });
    }
  }, 240_000);

  test('SMS go out at the provider pace (TWILIO_MAX_PER_SECOND, 10 by default), each recipient once, while email does not wait', async () => {
    const phones = Array.from({ length: 25 }, (_, i) => `+1555556${String(i).padStart(4, '0')}`);
    const people = await Promise.all(phones.map((phone, i) => org.addUser('member', { name: `Texted ${i}`, phone })));
    const id = await scheduled({ channels: ['email', 'sms'], audience: { userIds: people.map((person) => person.id) } });
    await eventually(async () => expect(sendgrid.delivered.length).toBeGreaterThan(0));
    // The email went out in one request while the texts had barely begun.
    expect(fakes.twilio.delivered.length).toBeLessThan(people.length);
    await finished(id);
    const texts = fakes.twilio.delivered;
    expect(texts.map((sms) => sms.to).sort()).toEqual(phones);
    // Paced: 25 texts at 10 a second take over two seconds, and no second holds more than about 10. Timed where the
    // worker starts each send (its ledger attempt), not where the fake receives them: on a loaded machine requests
    // started apart can arrive together.
    const started = await platform.query<{ at: number }>(
      `select (extract(epoch from a.started_at) * 1000)::float8 as at from delivery_attempt a join delivery d on d.id = a.delivery_id
        where d.subject_id = $1 and d.channel = 'sms'`,
      [id],
    );
    expect(started).toHaveLength(people.length);
    const times = started.map((row) => Number(row.at)).sort((a, b) => a - b);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(2000);
    const busiestSecond = Math.max(...times.map((start) => times.filter((at) => at >= start && at < start + 1000).length));
    expect(busiestSecond).toBeLessThanOrEqual(11);
    expect((await campaign(id)).channels.sms).toMatchObject({ sent: people.length, pending: 0 });
  }, 120_000);

  describe('bad input is refused, naming the field, and writes nothing', () => {
    const count = async () => (await platform.query<{ n: number }>(`select count(*)::int as n from campaign`))[0].n;
    test.each([
      ['an empty audience', { audience: { userIds: [] } }, 'audience.userIds'],
      ['more than 100,000 ids', { audience: { userIds: Array.from({ length: 100_001 }, () => UNKNOWN_ID) } }, 'audience.userIds'],
      ['dismissAt before deliverAt', { audience: { userIds: [UNKNOWN_ID] }, deliverAt: secondsFromNow(600), dismissAt: secondsFromNow(60) }, 'dismissAt'],
      ['an unknown channel', { audience: { userIds: [UNKNOWN_ID] }, channels: ['pigeon'] }, 'channels'],
      ['a template naming an unknown variable', { audience: { userIds: [UNKNOWN_ID] }, body: 'Hi {{recipient.email}}' }, 'body'],
      ['a template that does not compile', { audience: { userIds: [UNKNOWN_ID] }, title: 'Hi {{recipient.name' }, 'title'],
    ])('%s', async (_case, body, field) => {
      const before = await count();
      const response = await schedule(body);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(fieldsOf(response)).toContain(field);
      expect(await count()).toBe(before);
    });

    test("a CSV without an email or userId column, and another organisation's attachment", async () => {
      const upload = async (api: Api, csv: string) => {
        const form = new FormData();
        form.append('file', new Blob([Buffer.from(csv)], { type: 'text/csv' }), 'list.csv');
        const response = await fetch(`${platform.baseUrl}/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
        return ((await response.json()) as { id: string }).id;
      };
      const before = await count();
      expect(fieldsOf(await schedule({ audience: { csvAttachmentId: await upload(org.admin, 'name,phone\nAnn,1\n') } }))).toEqual(['audience.csvAttachmentId']);
      expect(fieldsOf(await schedule({ audience: { csvAttachmentId: await upload(other.admin, `email\n${ann.email}\n`) } }))).toEqual([
        'audience.csvAttachmentId',
      ]);
      expect(await count()).toBe(before);
    });

    test('members and staff may not run campaigns', async () => {
      expect(await schedule({ audience: { userIds: [ann.id] } }, ann.api)).toMatchObject({ status: 403 });
      expect(await schedule({ audience: { userIds: [ann.id] } }, staff.api)).toMatchObject({ status: 403 });
      expect(await staff.api.get('/v1/campaigns')).toMatchObject({ status: 403 });
    });

    test("another organisation's campaign is not found", async () => {
      const id = await scheduled({ channels: ['message_center'], audience: { userIds: [ann.id] }, deliverAt: secondsFromNow(3600) });
      expect(await other.admin.get(`/v1/campaigns/${id}`)).toMatchObject({ status: 404 });
      expect(await other.admin.post(`/v1/campaigns/${id}/cancel`)).toMatchObject({ status: 404 });
      expect(await org.admin.post(`/v1/campaigns/${id}/cancel`)).toMatchObject({ status: 200 });
    });
  });
});
