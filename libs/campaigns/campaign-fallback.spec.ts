import { Module } from '@nestjs/common';
import { count, seedOrganization, seedUser } from '../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../test/support/test-database.js';
import type { Channel } from '../channels/channel.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ProviderEventsService } from '../provider-events/provider-events.service.js';
import { CampaignFallbackModule } from './campaign-fallback.module.js';

/** As the API wires it: the provider events and the campaigns' listener, with the application's metrics. */
@Module({ imports: [MetricsModule, CampaignFallbackModule] })
class FallbackUnderTest {}

describe('campaign fallback (email → SMS) on a hard failure', () => {
  let db: TestDatabase;
  let events: ProviderEventsService;
  let organizationId: string;
  let adminId: string;
  let withPhone: string;
  let withoutPhone: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    // init(): the listener registers itself on module init, as it does when the API starts.
    events = (await (await db.module(FallbackUnderTest)).init()).get(ProviderEventsService);
    organizationId = await seedOrganization(db);
    adminId = (await seedUser(db, organizationId, 'admin')).id;
    withPhone = (await seedUser(db, organizationId, 'member', 'Pat Phone')).id;
    await db.query(`update app_user set phone = '+15555550100' where id = ?`, [withPhone]);
    withoutPhone = (await seedUser(db, organizationId, 'member', 'Nora Nophone')).id;
  });

  afterAll(() => db?.drop());

  async function campaign(options: { fallback?: boolean; channels?: Channel[]; status?: string } = {}): Promise<string> {
    const id = crypto.randomUUID();
    await db.query(
      `insert into campaign (id, organization_id, name, title, body, channels, deliver_at, audience, fallback, status, workflow_id, created_by_id, created_at)
       values (?, ?, 'Open enrolment', 'Hello', 'Enrolment is open.', ?::text[], now(), '{}'::jsonb, ?::jsonb, ?, ?, ?, now())`,
      [
        id,
        organizationId,
        `{${(options.channels ?? ['email']).join(',')}}`,
        options.fallback === false ? null : JSON.stringify({ email: 'sms' }),
        options.status ?? 'running',
        `campaign-${id}`,
        adminId,
      ],
    );
    return id;
  }

  /** The campaign's email to `recipientId`, sent. */
  async function sentEmail(campaignId: string, recipientId: string, subject: { type?: string; kind?: string } = {}): Promise<string> {
    const id = crypto.randomUUID();
    await db.query(
      `insert into delivery (id, organization_id, subject_type, subject_id, recipient_id, channel, kind, about_user_id, target, status, attempts, due_at, sent_at)
       values (?, ?, ?, ?, ?, 'email', ?, ?, '', 'sent', 1, now(), now())`,
      [id, organizationId, subject.type ?? 'campaign', campaignId, recipientId, subject.kind ?? 'campaign', recipientId],
    );
    return id;
  }

  const post = (deliveryId: string, kind: 'bounce' | 'dropped' | 'deferred' = 'bounce') =>
    db.request(() =>
      events.recordSendgridEvents([
        { event: kind, type: 'bounce', reason: '550 no such user', delivery_id: deliveryId, sg_event_id: `sg-${crypto.randomUUID()}` },
      ]),
    );
  const fallbacks = (campaignId: string) =>
    db.query<{ recipient_id: string; channel: string; status: string; last_error: string | null; id: string }>(
      `select id, recipient_id, channel, status, last_error from delivery where subject_type = 'campaign' and subject_id = ? and kind = 'campaign_fallback'`,
      [campaignId],
    );
  const outbox = (emailDeliveryId: string) =>
    db.query<{ command: { kind: string; workflowType: string; args: unknown[]; searchAttributes: Record<string, string>; queue?: string } }>(
      `select command from workflow_outbox where workflow_id = ?`,
      [`delivery-fallback-${emailDeliveryId}`],
    );

  it("inside the recipient's quiet hours the SMS waits for them to end: its row is deferred and the workflow sleeps until then", async () => {
    const utc = (offsetMinutes: number) => new Date(Date.now() + offsetMinutes * 60_000).toISOString().slice(11, 16);
    await db.query(`update organization set timezone = 'UTC', quiet_hours = ?::jsonb where id = ?`, [
      JSON.stringify({ start: utc(-60), end: utc(120) }),
      organizationId,
    ]);
    try {
      const campaignId = await campaign();
      const email = await sentEmail(campaignId, withPhone);
      await post(email);

      const [row] = await db.query<{ id: string; not_before: Date }>(
        `select id, not_before from delivery where subject_id = ? and kind = 'campaign_fallback'`,
        [campaignId],
      );
      const end = new Date(row.not_before).getTime();
      expect(end).toBeGreaterThan(Date.now() + 115 * 60_000);
      expect(end).toBeLessThanOrEqual(Date.now() + 120 * 60_000);
      expect((await outbox(email)).map((entry) => entry.command.args)).toEqual([[{ deliveryIds: [row.id], notBefore: end }]]);
    } finally {
      await db.query(`update organization set quiet_hours = null where id = ?`, [organizationId]);
    }
  });

  it('plans one SMS for the recipient and enqueues the workflow that sends it, in the same transaction; a repeat changes nothing', async () => {
    const campaignId = await campaign();
    const email = await sentEmail(campaignId, withPhone);

    expect(await post(email)).toEqual({ received: 1, recorded: 1 });

    const [sms] = await fallbacks(campaignId);
    expect(await fallbacks(campaignId)).toEqual([{ id: expect.any(String), recipient_id: withPhone, channel: 'sms', status: 'pending', last_error: null }]);
    expect((await outbox(email)).map((row) => row.command)).toEqual([
      {
        kind: 'start',
        workflowType: 'deliveryFallback',
        workflowId: `delivery-fallback-${email}`,
        args: [{ deliveryIds: [sms.id] }],
        searchAttributes: { TidingsOrganizationId: organizationId, TidingsCampaignId: campaignId },
        queue: 'default',
      },
    ]);

    // The same bounce reported again, and a drop after it: no second SMS, no second start.
    await post(email);
    await post(email, 'dropped');
    expect(await fallbacks(campaignId)).toHaveLength(1);
    expect(await outbox(email)).toHaveLength(1);
  });

  it('a recipient without a phone number: the SMS is recorded skipped with the reason, and nothing is started', async () => {
    const campaignId = await campaign();
    const email = await sentEmail(campaignId, withoutPhone);

    await post(email, 'dropped');

    expect(await fallbacks(campaignId)).toEqual([
      { id: expect.any(String), recipient_id: withoutPhone, channel: 'sms', status: 'skipped', last_error: 'recipient has no phone number' },
    ]);
    expect(await outbox(email)).toEqual([]);
  });

  it('no fallback without one configured, for a cancelled campaign, for a campaign that sends SMS itself, for a deferral, or for another subject', async () => {
    const campaigns = [
      await campaign({ fallback: false }),
      await campaign({ status: 'cancelled' }),
      await campaign({ channels: ['email', 'sms'] }),
      await campaign(),
    ];
    const emails = [
      await sentEmail(campaigns[0], withPhone),
      await sentEmail(campaigns[1], withPhone),
      await sentEmail(campaigns[2], withPhone),
      // A message's email whose subject id happens to be a campaign's (with a fallback): not a campaign email.
      await sentEmail(campaigns[3], withPhone, { type: 'message', kind: 'message' }),
    ];
    for (const email of emails) expect(await post(email)).toEqual({ received: 1, recorded: 1 });
    campaigns.push(await campaign());
    const deferred = await sentEmail(campaigns[4], withPhone);
    expect(await post(deferred, 'deferred')).toEqual({ received: 1, recorded: 1 });

    expect(await count(db, `delivery where kind = 'campaign_fallback' and subject_id = any(?::uuid[])`, [`{${campaigns.join(',')}}`])).toBe(0);
    for (const email of [...emails, deferred]) expect(await outbox(email)).toEqual([]);
  });
});
