import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { Api, createOrganization, eventually, TestOrganization } from '../support/api.js';
import { Platform } from '../support/platform.js';
import { ProviderFakes } from '../support/provider-fakes.js';

interface EmailDeliveryView {
  channel: string;
  status: string;
  lastError: string | null;
  timeline: Array<{ outcome: string; attempt?: number; at?: string; reason: string | null }>;
}

/**
 * SendGrid's Event Webhook end to end: emails go out through the SendGrid fake with their delivery id as a
 * custom arg; the test plays SendGrid, signing its posts with a P-256 key whose public half the API is
 * configured with, and checks what `GET /v1/messages/:id` then shows.
 */
describe('SendGrid event webhook (end to end)', () => {
  const fakes = new ProviderFakes();
  const { sendgrid } = fakes;
  const sendgridKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const someoneElse = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  let platform: Platform;
  let org: TestOrganization;
  let member: { id: string; email: string; api: Api };

  beforeAll(async () => {
    platform = await new Platform({
      env: {
        ...(await fakes.start()),
        // As SendGrid shows it under Mail Settings: base64 of the DER SubjectPublicKeyInfo.
        SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY: sendgridKeys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      },
    }).start();
    org = await createOrganization(platform.baseUrl);
    member = await org.addUser('member');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await fakes.stop();
  });

  beforeEach(() => fakes.reset());

  const emailOf = async (messageId: string): Promise<EmailDeliveryView> =>
    ((await org.admin.get(`/v1/messages/${messageId}`)).body.deliveries as EmailDeliveryView[]).find((d) => d.channel === 'email')!;

  /** A message by email, sent now; its delivery id is what SendGrid's events about it carry. */
  async function emailSent(): Promise<{ messageId: string; deliveryId: string }> {
    const scheduled = await org.admin.post('/v1/messages', {
      recipientId: member.id,
      title: 'Claim update',
      body: 'Your claim was approved.',
      channels: ['email'],
    });
    expect(scheduled.status).toBe(202);
    const messageId = scheduled.body.id as string;
    await eventually(async () => expect(await emailOf(messageId)).toMatchObject({ status: 'sent' }), 30_000);
    const mails = sendgrid.received.filter((mail) => mail.to.includes(member.email));
    expect(mails).toHaveLength(1);
    const deliveryId = mails[0].customArgs?.delivery_id;
    expect(deliveryId).toEqual(expect.any(String));
    return { messageId, deliveryId: deliveryId! };
  }

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  /** A SendGrid event about `deliveryId`: the custom arg comes back at the top level of the event. */
  const event = (deliveryId: string, kind: string, extra: Record<string, unknown> = {}) => ({
    email: member.email,
    timestamp: nowSeconds(),
    event: kind,
    sg_event_id: `sg-${crypto.randomUUID()}`,
    sg_message_id: 'fake.filter0001.16648.5515E0B88.0',
    delivery_id: deliveryId,
    ...extra,
  });
  /** SendGrid's own layout (not what JSON.stringify would give back), so only the exact bytes verify. */
  const batch = (events: unknown[]) => `${JSON.stringify(events, null, 1)}\r\n`;

  /** Posts `body` as SendGrid would: signed over timestamp + body with its private key, unless told otherwise. */
  async function post(
    body: string,
    options: { key?: KeyObject; timestamp?: number; unsigned?: boolean; sentBody?: string } = {},
  ): Promise<{ status: number; body: any }> {
    const timestamp = String(options.timestamp ?? nowSeconds());
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!options.unsigned) {
      const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), options.key ?? sendgridKeys.privateKey);
      headers['X-Twilio-Email-Event-Webhook-Signature'] = signature.toString('base64');
      headers['X-Twilio-Email-Event-Webhook-Timestamp'] = timestamp;
    }
    const response = await fetch(`${platform.baseUrl}/v1/webhooks/sendgrid/events`, { method: 'POST', headers, body: options.sentBody ?? body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  const eventsRecorded = async (deliveryId: string) =>
    (await platform.query<{ n: number }>(`select count(*)::int as n from delivery_event where delivery_id = $1`, [deliveryId]))[0].n;

  test('a delivered event shows in the message timeline after the send; the delivery stays sent', async () => {
    const { messageId, deliveryId } = await emailSent();

    const answer = await post(batch([event(deliveryId, 'processed'), event(deliveryId, 'delivered', { response: '250 2.0.0 OK' })]));

    expect(answer).toEqual({ status: 200, body: { received: 2, recorded: 1 } });
    const email = await emailOf(messageId);
    expect(email.status).toBe('sent');
    expect(email.lastError).toBeNull();
    expect(email.timeline).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'sent' }),
      { outcome: 'delivered', at: expect.any(String), reason: '250 2.0.0 OK' },
    ]);
  }, 60_000);

  test('a hard bounce fails the delivery with its reason, the address masked; the same event twice is recorded once', async () => {
    const { messageId, deliveryId } = await emailSent();
    const bounce = batch([
      event(deliveryId, 'bounce', { type: 'bounce', status: '5.1.1', reason: `550 5.1.1 <${member.email}>: Recipient address rejected: User unknown` }),
    ]);

    expect(await post(bounce)).toEqual({ status: 200, body: { received: 1, recorded: 1 } });
    // SendGrid's retry of the same batch (it may not have heard our answer).
    expect(await post(bounce)).toEqual({ status: 200, body: { received: 1, recorded: 0 } });

    const email = await emailOf(messageId);
    expect(email.status).toBe('failed');
    expect(email.lastError).toBe('bounced: 550 5.1.1 <<recipient>>: Recipient address rejected: User unknown');
    expect(JSON.stringify(email)).not.toContain(member.email);
    expect(email.timeline.map((entry) => entry.outcome)).toEqual(['sent', 'bounced']);
    expect(await eventsRecorded(deliveryId)).toBe(1);
  }, 60_000);

  test('unsigned, forged, tampered and stale posts are 401 and change nothing', async () => {
    const { messageId, deliveryId } = await emailSent();
    const body = batch([event(deliveryId, 'dropped', { reason: 'Bounced Address' })]);
    const tampered = body.replace('Bounced Address', 'Spam Reporting Address');
    const before = await emailOf(messageId);

    const refusals = {
      unsigned: await post(body, { unsigned: true }),
      'signed with another key': await post(body, { key: someoneElse.privateKey }),
      'body changed after signing': await post(body, { sentBody: tampered }),
      '11 minutes old': await post(body, { timestamp: nowSeconds() - 11 * 60 }),
      '11 minutes ahead': await post(body, { timestamp: nowSeconds() + 11 * 60 }),
    };
    for (const [how, answer] of Object.entries(refusals)) {
      expect({ how, status: answer.status, error: answer.body?.error }).toEqual({ how, status: 401, error: 'Unauthorized' });
    }

    expect(await emailOf(messageId)).toEqual(before);
    expect(before).toMatchObject({ status: 'sent', lastError: null });
    expect(await eventsRecorded(deliveryId)).toBe(0);

    // The very same post, properly signed and current, is taken.
    expect((await post(body)).status).toBe(200);
    expect(await emailOf(messageId)).toMatchObject({ status: 'failed', lastError: 'dropped: Bounced Address' });
  }, 60_000);

  test('a signed post that is not JSON is 400; events about no delivery of ours are answered 200 and ignored', async () => {
    expect((await post('[{"event": "delivered",')).status).toBe(400);
    expect(await post(batch([event(crypto.randomUUID(), 'bounce', { type: 'bounce' }), { event: 'open', sg_event_id: 'x' }]))).toEqual({
      status: 200,
      body: { received: 2, recorded: 0 },
    });
  });
});
