import { createOrganization, eventually, secondsFromNow, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { Platform } from '../support/platform.js';
import { ProviderFakes } from '../support/provider-fakes.js';

/**
 * A single scheduled message's title and body may name the recipient and the organisation
 * (libs/templates/recipient-template.ts): rendered for the recipient when the message is scheduled.
 */
describe('message templates (end to end)', () => {
  const fakes = new ProviderFakes();
  const { sendgrid } = fakes;
  let platform: Platform;
  let org: TestOrganization;
  let staff: Awaited<ReturnType<TestOrganization['addUser']>>;
  let member: Awaited<ReturnType<TestOrganization['addUser']>>;
  const orgName = `Smith & Sons ${Date.now()}`;

  beforeAll(async () => {
    platform = await new Platform({ env: await fakes.start() }).start();
    org = await createOrganization(platform.baseUrl, { notificationMode: 'convenience', name: orgName });
    staff = await org.addUser('staff');
    member = await org.addUser('member', { name: 'Rita Q. Recipient' });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await fakes.stop();
  });

  beforeEach(() => fakes.reset());

  const messageRows = async () => (await platform.query<{ n: number }>(`select count(*)::int as n from message`))[0].n;

  test('the recipient sees the text rendered for them, in the message center and in a convenience-mode email', async () => {
    const scheduled = await staff.api.post('/v1/messages', {
      recipientId: member.id,
      title: 'Hello {{recipient.firstName}}',
      body: 'Dear {{recipient.name}},\nyour results are ready. From {{organization.name}}',
      channels: ['message_center', 'email'],
    });
    expect(scheduled.status).toBe(202);
    const { id } = scheduled.body;

    const rendered = { title: 'Hello Rita', body: `Dear Rita Q. Recipient,\nyour results are ready. From ${orgName}` };
    await eventually(async () => {
      const inbox = (await member.api.get('/v1/me/messages')).body.items;
      expect(inbox).toEqual([expect.objectContaining({ id, ...rendered })]);
    });
    expect((await staff.api.get(`/v1/messages/${id}`)).body).toMatchObject(rendered);

    await eventually(async () => expect(sendgrid.delivered).toHaveLength(1));
    const mail = sendgrid.delivered[0];
    expect(mail.to).toEqual([member.email]);
    expect(mail.subject).toBe('Hello Rita');
    // Plain text is not HTML-escaped; the email's HTML part is escaped by the notification renderer.
    expect(mail.text).toContain(rendered.body);
    expect(mail.html).toContain(`From ${orgName.replace('&', '&amp;')}`);
    expect(mail.text).not.toContain('{{');
  });

  test('text without variables is stored exactly as sent', async () => {
    const title = 'Claim {approved} & paid }}';
    const { body } = await staff.api.post('/v1/messages', { recipientId: member.id, title, body: 'No {variables} here.', channels: ['message_center'] });
    expect((await staff.api.get(`/v1/messages/${body.id}`)).body).toMatchObject({ title, body: 'No {variables} here.' });
  });

  test('a retried POST with the same Idempotency-Key returns the first answer; the key still guards the template as sent', async () => {
    const key = `template-${Date.now()}`;
    const request = { recipientId: member.id, title: 'Hi {{recipient.firstName}}', body: 'b', channels: ['message_center'], deliverAt: secondsFromNow(3600) };
    const first = await staff.api.post('/v1/messages', request, { 'idempotency-key': key });
    const again = await staff.api.post('/v1/messages', request, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await platform.query(`select title from message where idempotency_key = $1`, [key])).toEqual([{ title: 'Hi Rita' }]);
    // The rendered text is not the request: sending it under the same key is a different request.
    const rendered = await staff.api.post('/v1/messages', { ...request, title: 'Hi Rita' }, { 'idempotency-key': key });
    expect(rendered.status).toBe(422);
    expect(rendered.body.details[0].field).toBe('Idempotency-Key');
  });

  test.each([
    ['an unknown variable in the body', { body: 'Your email is {{recipient.email}}' }, 'body', '{{recipient.email}}'],
    ['a helper in the title', { title: 'Hi {{upper recipient.firstName}}' }, 'title', '{{upper recipient.firstName}}'],
    ['a block in the body', { body: '{{#if recipient.name}}x{{/if}}' }, 'body', '{{#if recipient.name}}'],
    ['triple-stash in the body', { body: 'Hi {{{recipient.name}}}' }, 'body', '{{{recipient.name}}}'],
    ['a template that does not parse', { body: 'Hi {{recipient.name' }, 'body', 'not a valid template'],
  ])('%s is a 422 naming the field and the variable, and writes no message', async (_name, change, field, named) => {
    const before = await messageRows();
    const response = await staff.api.post('/v1/messages', { recipientId: member.id, title: 'Hello', body: 'Body', channels: ['message_center'], ...change });
    expect(response.status).toBe(422);
    expect(response.body.details).toEqual([{ field, message: expect.stringContaining(named) }]);
    expect(response.body.message).toContain(`${field}: `);
    expect(await messageRows()).toBe(before);
  });

  test('the unknown variable names the alternatives', async () => {
    const response = await staff.api.post('/v1/messages', {
      recipientId: member.id,
      title: 'Hello',
      body: 'Your email is {{recipient.email}}',
      channels: ['message_center'],
    });
    expect(response.body.details).toEqual([
      { field: 'body', message: 'names an unknown variable {{recipient.email}}; use recipient.name, recipient.firstName or organization.name' },
    ]);
  });

  test('a title longer than its limit once rendered for the recipient is a 422, and writes no message', async () => {
    const longName = await org.addUser('member', { name: `Maximilian ${'N'.repeat(120)}` });
    const before = await messageRows();
    const response = await staff.api.post('/v1/messages', {
      recipientId: longName.id,
      title: 'To {{recipient.name}} and again {{recipient.name}}',
      body: 'b',
      channels: ['message_center'],
    });
    expect(response.status).toBe(422);
    expect(response.body.details).toEqual([{ field: 'title', message: 'must be at most 200 characters once rendered for this recipient' }]);
    expect(await messageRows()).toBe(before);
    const fits = await staff.api.post('/v1/messages', {
      recipientId: longName.id,
      title: 'Hi {{recipient.firstName}}',
      body: 'b',
      channels: ['message_center'],
    });
    expect(fits.status).toBe(202);
    expect((await staff.api.get(`/v1/messages/${fits.body.id}`)).body.title).toBe('Hi Maximilian');
  });

  test("a template for an unknown recipient, or another organisation's user, keeps today's 422 on recipientId", async () => {
    const other = await createOrganization(platform.baseUrl);
    const before = await messageRows();
    for (const recipientId of [UNKNOWN_ID, member.id]) {
      const as = recipientId === member.id ? other.admin : staff.api;
      const response = await as.post('/v1/messages', { recipientId, title: 'Hi {{recipient.firstName}}', body: 'b', channels: ['message_center'] });
      expect(response.status).toBe(422);
      expect(response.body.details).toEqual([{ field: 'recipientId', message: 'is not a user of your organization' }]);
    }
    expect(await messageRows()).toBe(before);
  });
});
