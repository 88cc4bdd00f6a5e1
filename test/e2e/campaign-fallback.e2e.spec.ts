import { generateKeyPairSync, sign } from 'node:crypto';
import { CAMPAIGN_ID, ORGANIZATION_ID } from '../../libs/temporal/search-attributes.js';
import type { DeliveryFallbackOutcome } from '../../workflows/delivery-fallback.contract.js';
import { createOrganization, eventually, sleep, TestOrganization } from '../support/api.js';
import { recordHistory } from '../support/histories.js';
import { Platform } from '../support/platform.js';
import { ProviderFakes } from '../support/provider-fakes.js';

/**
 * `fallback: { email: 'sms' }` end to end: a campaign's emails go out through the SendGrid fake; the test
 * plays SendGrid's Event Webhook (signed with a P-256 key whose public half the API is configured with)
 * and checks what reaches the Twilio fake: one SMS to a recipient whose email hard-bounced, in the
 * campaign's own words, and none for anything else.
 */
describe('campaign fallback to SMS (end to end)', () => {
  const fakes = new ProviderFakes();
  const { sendgrid, twilio } = fakes;
  const sendgridKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  let platform: Platform;
  let org: TestOrganization;
  let ann: { id: string; email: string };
  let bob: { id: string; email: string };
  const annPhone = '+15555550100';
  const bobPhone = '+15555550101';

  beforeAll(async () => {
    platform = await new Platform({
      env: {
        ...(await fakes.start()),
        SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY: sendgridKeys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      },
    }).start();
    // Convenience mode: notifications carry the campaign's words, so the SMS shows whose they are.
    org = await createOrganization(platform.baseUrl, { notificationMode: 'convenience', name: 'Harbor Health' });
    [ann, bob] = await Promise.all([
      org.addUser('member', { name: 'Ann Archer', phone: annPhone }),
      org.addUser('member', { name: 'Bob Baker', phone: bobPhone }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await fakes.stop();
  });

  beforeEach(() => fakes.reset());

  /** A campaign by email to Ann and Bob, sent: each one's email delivery id, as SendGrid's events carry it. */
  async function campaignSent(fallback: { email: 'sms' } | undefined): Promise<{ id: string; emailTo: Record<'ann' | 'bob', string> }> {
    const scheduled = await org.admin.post('/v1/campaigns', {
      name: 'Open enrolment',
      title: 'Hello {{recipient.firstName}}',
      body: 'Dear {{recipient.name}}, {{organization.name}} is open.',
      channels: ['email'],
      audience: { userIds: [ann.id, bob.id] },
      ...(fallback ? { fallback } : {}),
    });
    expect(scheduled.status).toBe(202);
    const id = scheduled.body.id as string;
    await eventually(
      async () => expect((await org.admin.get(`/v1/campaigns/${id}`)).body).toMatchObject({ status: 'completed', channels: { email: { sent: 2 } } }),
      60_000,
    );
    const deliveryTo = (email: string) => {
      const found = sendgrid.deliveredEmails.filter((sent) => sent.to === email);
      expect(found).toHaveLength(1);
      return found[0].deliveryId!;
    };
    return { id, emailTo: { ann: deliveryTo(ann.email), bob: deliveryTo(bob.email) } };
  }

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const event = (deliveryId: string, email: string, kind: string, extra: Record<string, unknown> = {}) => ({
    email,
    timestamp: nowSeconds(),
    event: kind,
    sg_event_id: `sg-${crypto.randomUUID()}`,
    sg_message_id: 'fake.filter0001.16648.5515E0B88.0',
    delivery_id: deliveryId,
    ...extra,
  });

  /** Posts `events` as SendGrid would: signed over timestamp + body with its private key. */
  async function post(events: unknown[]): Promise<{ status: number; body: unknown }> {
    const body = `${JSON.stringify(events, null, 1)}\r\n`;
    const timestamp = String(nowSeconds());
    const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), sendgridKeys.privateKey).toString('base64');
    const response = await fetch(`${platform.baseUrl}/v1/webhooks/sendgrid/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Twilio-Email-Event-Webhook-Signature': signature, 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp },
      body,
    });
    return { status: response.status, body: await response.json() };
  }

  /** The campaign's fallback rows in the ledger: written in the webhook's transaction, so final once it answered. */
  const fallbackRows = (campaignId: string) =>
    platform.query<{ recipient_id: string; channel: string; status: string }>(
      `select recipient_id, channel, status from delivery where subject_type = 'campaign' and subject_id = $1 and kind = 'campaign_fallback'`,
      [campaignId],
    );
  const emailStatus = async (deliveryId: string) =>
    (await platform.query<{ status: string }>(`select status from delivery where id = $1`, [deliveryId]))[0].status;
  /** Long enough for a fallback that was (wrongly) decided to reach the Twilio fake: its workflow starts within a second. */
  const settleTime = () => sleep(3_000);

  test('a hard bounce of one email: exactly one SMS to that recipient, in the campaign’s words; the same event again sends no second', async () => {
    const { id, emailTo } = await campaignSent({ email: 'sms' });
    const bounce = event(emailTo.ann, ann.email, 'bounce', { type: 'bounce', status: '5.1.1', reason: `550 5.1.1 <${ann.email}>: User unknown` });

    expect(await post([bounce])).toEqual({ status: 200, body: { received: 1, recorded: 1 } });

    const sms = await eventually(async () => {
      expect(twilio.delivered).toHaveLength(1);
      return twilio.delivered[0];
    }, 30_000);
    expect(sms.to).toBe(annPhone);
    expect(sms.body).toContain('Dear Ann Archer, Harbor Health is open.');
    const workflow = platform.client.workflow.getHandle(`delivery-fallback-${emailTo.ann}`);
    expect((await workflow.result()) as DeliveryFallbackOutcome).toEqual({ sent: 1, skipped: 0, failed: 0 });
    const description = await workflow.describe();
    expect(description.typedSearchAttributes.get(ORGANIZATION_ID)).toBe(org.id);
    expect(description.typedSearchAttributes.get(CAMPAIGN_ID)).toBe(id);

    // SendGrid's retry of the same post: recorded once, and no second SMS.
    expect(await post([bounce])).toEqual({ status: 200, body: { received: 1, recorded: 0 } });
    await settleTime();
    expect(twilio.received.map((message) => message.to)).toEqual([annPhone]);
    expect(await fallbackRows(id)).toEqual([{ recipient_id: ann.id, channel: 'sms', status: 'sent' }]);

    // The campaign's own progress still adds up to its recipients; the fallback is counted apart.
    const view = (await org.admin.get(`/v1/campaigns/${id}`)).body;
    expect(view).toMatchObject({
      fallback: { email: 'sms' },
      channels: { email: { sent: 1, failed: 1, pending: 0 } },
      fallbackSends: { sms: { sent: 1, pending: 0, failed: 0, skipped: 0, deferred: 0 } },
    });
    expect(view.channels.sms).toBeUndefined();
    // The recipients list: Ann's failed email, and her SMS beside it; Bob's email only.
    const rows = (await org.admin.get(`/v1/campaigns/${id}/recipients`)).body.items as Array<{
      userId: string;
      channel: string;
      status: string;
      fallback: boolean;
    }>;
    expect(rows.map(({ userId, channel, status, fallback }) => ({ userId, channel, status, fallback }))).toEqual(
      expect.arrayContaining([
        { userId: ann.id, channel: 'email', status: 'failed', fallback: false },
        { userId: ann.id, channel: 'sms', status: 'sent', fallback: true },
        { userId: bob.id, channel: 'email', status: 'sent', fallback: false },
      ]),
    );
    expect(rows).toHaveLength(3);
    await recordHistory(platform.temporal.address, `delivery-fallback-${emailTo.ann}`, 'delivery-fallback-sms-sent');
  }, 120_000);

  test('a drop of an email of a campaign without a fallback sends no SMS', async () => {
    const { id, emailTo } = await campaignSent(undefined);

    expect(await post([event(emailTo.bob, bob.email, 'dropped', { reason: 'Bounced Address' })])).toEqual({ status: 200, body: { received: 1, recorded: 1 } });

    expect(await emailStatus(emailTo.bob)).toBe('failed');
    expect(await fallbackRows(id)).toEqual([]);
    await settleTime();
    expect(twilio.received).toEqual([]);
  }, 120_000);

  test('a deferral of an email of a campaign with a fallback sends no SMS', async () => {
    const { id, emailTo } = await campaignSent({ email: 'sms' });

    const deferred = event(emailTo.bob, bob.email, 'deferred', { response: '421 4.7.0 Try again later', attempt: '1' });
    const blocked = event(emailTo.ann, ann.email, 'bounce', { type: 'blocked', reason: '554 5.7.1 client host blocked' });
    expect(await post([deferred, blocked])).toEqual({ status: 200, body: { received: 2, recorded: 2 } });

    expect(await emailStatus(emailTo.bob)).toBe('sent');
    expect(await emailStatus(emailTo.ann)).toBe('sent');
    expect(await fallbackRows(id)).toEqual([]);
    await settleTime();
    expect(twilio.received).toEqual([]);
  }, 120_000);
});
