import { Module } from '@nestjs/common';
import { seedCampaign, seedCampaignDelivery, seedCampaignRecipients, type CampaignDeliverySeed } from '../../test/support/campaign-use-cases.js';
import { seedOrganization, seedUser, type SeededUser } from '../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../test/support/test-database.js';
import type { CampaignSmsRequest } from '../../workflows/campaign.contract.js';
import { SMS_PROVIDER, type SmsProvider } from '../channels/channel.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Deliverer } from '../delivery/deliverer.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import type { CampaignStatus } from './campaign.entity.js';
import { CampaignDelivery } from './campaign-delivery.service.js';
import { CampaignDeliveryModule } from './campaign-delivery.module.js';
import { CampaignSms } from './campaign-sms.js';

const MINUTE = 60_000;

/** As the worker wires it: the campaign delivery with its ledger, Deliverer and channels (SMS_PROVIDER=log, the default), and the metrics. */
@Module({ imports: [MetricsModule, CampaignDeliveryModule] })
class CampaignSmsUnderTest {}

describe('CampaignSms', () => {
  let db: TestDatabase;
  let deliverer: Deliverer;
  let config: AppConfig;
  let organizationId: string;
  let ada: SeededUser;
  /** What reached the SMS provider (the log provider, which sends nothing anywhere), with when. */
  const texts: Array<{ phone: string; at: number }> = [];

  beforeAll(async () => {
    db = await TestDatabase.create();
    const nest = await db.module(CampaignSmsUnderTest);
    config = nest.get<AppConfig>(APP_CONFIG);
    expect(config.sms.provider).toBe('log');
    deliverer = nest.get(Deliverer);
    nest.get(CampaignDelivery).onModuleInit(); // campaigns word their own texts: registered with the Deliverer, as on the worker's start
    const provider = nest.get<SmsProvider>(SMS_PROVIDER);
    const send = provider.send.bind(provider);
    provider.send = (phone, notification, options) => {
      texts.push({ phone, at: Date.now() });
      return send(phone, notification, options);
    };
    organizationId = await seedOrganization(db);
    ada = await seedUser(db, organizationId, 'admin', 'Ada Admin');
  });

  beforeEach(() => {
    texts.length = 0;
  });

  afterAll(() => db?.drop());

  /** A CampaignSms as one worker has it, pacing its texts at `maxPerSecond` (TWILIO_MAX_PER_SECOND). */
  const worker = (maxPerSecond = 1000) => new CampaignSms(db.em, deliverer, { ...config, sms: { ...config.sms, maxPerSecond } });
  const send = (sms: CampaignSms, request: CampaignSmsRequest) => db.request(() => sms.send(request));

  interface Position {
    seq: number;
    user: SeededUser;
    phone: string;
    deliveryId: string | null;
  }
  let phones = 0;

  /**
   * A running SMS campaign whose audience is `deliveries.length` members (with phones), each with the
   * delivery row given (null: none planned yet); positions from 1.
   */
  async function smsCampaign(deliveries: Array<Omit<CampaignDeliverySeed, 'channel'> | null>, options: { status?: CampaignStatus } = {}) {
    const id = await seedCampaign(db, ada, { status: options.status ?? 'running', channels: ['sms'], deliverAt: new Date(Date.now() - MINUTE) });
    const users: Array<{ user: SeededUser; phone: string }> = [];
    for (const [index] of deliveries.entries()) {
      const user = await seedUser(db, organizationId, 'member', `Member ${index + 1}`);
      const phone = `+1555${String((phones += 1)).padStart(7, '0')}`;
      await db.query(`update app_user set phone = ? where id = ?`, [phone, user.id]);
      users.push({ user, phone });
    }
    const seqs = await seedCampaignRecipients(
      db,
      id,
      users.map(({ user }) => user),
    );
    const positions: Position[] = [];
    for (const [index, delivery] of deliveries.entries()) {
      const deliveryId = delivery ? await seedCampaignDelivery(db, id, users[index].user, { channel: 'sms', ...delivery }) : null;
      positions.push({ seq: seqs[index], ...users[index], deliveryId });
    }
    return { id, positions };
  }
  const pending = () => ({});
  const deliveryOf = async (position: Position) =>
    (
      await db.query<{ status: string; attempts: number; provider_message_id: string | null; last_error: string | null; sent_at: string | null }>(
        `select status, attempts, provider_message_id, last_error, sent_at from delivery where id = ?`,
        [position.deliveryId],
      )
    )[0];
  const attemptsOf = (position: Position) =>
    db.query<{ number: number; outcome: string | null }>(`select number, outcome from delivery_attempt where delivery_id = ? order by number`, [
      position.deliveryId,
    ]);

  it('sends the next due text of its stripe, one per call, through the ledger: more while another is due, then done', async () => {
    const { id, positions } = await smsCampaign([pending(), pending(), pending(), pending(), pending(), pending()]);
    const [one, two, three, four, five, six] = positions;
    const sms = worker();
    const lane = { campaignId: id, throughSeq: 6, stripe: 1, stripes: 2 };

    expect(await send(sms, { ...lane, afterSeq: 0 })).toEqual({ sent: 1, more: true, lastSeq: 1 });
    expect(texts.map((text) => text.phone)).toEqual([one.phone]);
    expect(await deliveryOf(one)).toEqual({
      status: 'sent',
      attempts: 1,
      provider_message_id: expect.stringMatching(/^log-/),
      last_error: null,
      sent_at: expect.any(String),
    });
    expect(await attemptsOf(one)).toEqual([{ number: 1, outcome: 'sent' }]);

    expect(await send(sms, { ...lane, afterSeq: 1 })).toEqual({ sent: 1, more: true, lastSeq: 3 });
    expect(await send(sms, { ...lane, afterSeq: 3 })).toEqual({ sent: 1, more: false, lastSeq: 5 });
    expect(await send(sms, { ...lane, afterSeq: 5 })).toEqual({ sent: 0, more: false, lastSeq: 5 });

    expect(texts.map((text) => text.phone)).toEqual([one.phone, three.phone, five.phone]);
    // The other stripe's texts are its own lane's.
    for (const position of [two, four, six]) expect(await deliveryOf(position)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('goes no further than throughSeq: positions after it are not yet due for the lane', async () => {
    const { id, positions } = await smsCampaign([pending(), pending(), pending(), pending()]);
    const sms = worker();

    expect(await send(sms, { campaignId: id, afterSeq: 0, throughSeq: 3, stripe: 0, stripes: 2 })).toEqual({ sent: 1, more: false, lastSeq: 2 });
    expect(await send(sms, { campaignId: id, afterSeq: 2, throughSeq: 3, stripe: 0, stripes: 2 })).toEqual({ sent: 0, more: false, lastSeq: 2 });

    expect(await deliveryOf(positions[1])).toMatchObject({ status: 'sent' });
    expect(await deliveryOf(positions[3])).toMatchObject({ status: 'pending' });
    expect(texts).toHaveLength(1);
  });

  it('passes over texts held by quiet hours and settled ones; sends a held one whose hours are over, and resends once after a crashed attempt', async () => {
    const now = Date.now();
    const { id, positions } = await smsCampaign([
      { notBefore: new Date(now + 8 * 60 * MINUTE) }, // 1: held until the morning
      { status: 'sent' }, // 2
      { status: 'failed', lastError: 'unreachable number' }, // 3
      { status: 'skipped', lastError: 'recipient has no phone number' }, // 4
      null, // 5: no ledger row at this position: nothing to send
      { status: 'sending', attempts: 1, leaseUntil: new Date(now - MINUTE) }, // 6: its worker died mid-send
      { notBefore: new Date(now - MINUTE) }, // 7: held, and the hours are over
      {}, // 8
    ]);
    const [held, sent, failed, skipped, , crashed, heldBefore, last] = positions;
    await db.query(`insert into delivery_attempt (delivery_id, number) values (?, 1)`, [crashed.deliveryId]);
    const before = await Promise.all([sent, failed, skipped].map(deliveryOf));
    const sms = worker();
    const lane = { campaignId: id, throughSeq: 8, stripe: 0, stripes: 1 };

    expect(await send(sms, { ...lane, afterSeq: 0 })).toEqual({ sent: 1, more: true, lastSeq: 6 });
    expect(await send(sms, { ...lane, afterSeq: 6 })).toEqual({ sent: 1, more: true, lastSeq: 7 });
    expect(await send(sms, { ...lane, afterSeq: 7 })).toEqual({ sent: 1, more: false, lastSeq: 8 });

    expect(texts.map((text) => text.phone)).toEqual([crashed.phone, heldBefore.phone, last.phone]);
    expect(await deliveryOf(crashed)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await attemptsOf(crashed)).toEqual([
      { number: 1, outcome: 'unknown' },
      { number: 2, outcome: 'resent_after_crash' },
    ]);
    expect(await deliveryOf(held)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await Promise.all([sent, failed, skipped].map(deliveryOf))).toEqual(before);
  });

  it('a recipient who has lost their phone number: the text is skipped with the reason and the lane goes on', async () => {
    const { id, positions } = await smsCampaign([pending(), pending()]);
    await db.query(`update app_user set phone = null where id = ?`, [positions[0].user.id]);
    const sms = worker();

    expect(await send(sms, { campaignId: id, afterSeq: 0, throughSeq: 2, stripe: 0, stripes: 1 })).toEqual({ sent: 0, more: true, lastSeq: 1 });
    expect(await send(sms, { campaignId: id, afterSeq: 1, throughSeq: 2, stripe: 0, stripes: 1 })).toEqual({ sent: 1, more: false, lastSeq: 2 });

    expect(await deliveryOf(positions[0])).toMatchObject({ status: 'skipped', last_error: 'recipient has no phone number' });
    expect(texts.map((text) => text.phone)).toEqual([positions[1].phone]);
  });

  it.each(['paused', 'cancelled'] as const)('sends nothing once the campaign is %s: the lane stays where it was, with more to do', async (status) => {
    const { id, positions } = await smsCampaign([pending(), pending()], { status });

    expect(await send(worker(), { campaignId: id, afterSeq: 0, throughSeq: 2, stripe: 0, stripes: 1 })).toEqual({ sent: 0, more: true, lastSeq: 0 });

    expect(texts).toEqual([]);
    for (const position of positions) {
      expect(await deliveryOf(position)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await attemptsOf(position)).toEqual([]);
    }
  });

  it('a pause while a call waits for its turn: that call sends nothing', async () => {
    const { id, positions } = await smsCampaign([pending(), pending()]);
    const sms = worker(2); // a text every 500 ms
    const lane = { campaignId: id, throughSeq: 2, stripe: 0, stripes: 1 };
    expect(await send(sms, { ...lane, afterSeq: 0 })).toEqual({ sent: 1, more: true, lastSeq: 1 });

    const waiting = send(sms, { ...lane, afterSeq: 1 });
    await db.query(`update campaign set status = 'paused' where id = ?`, [id]);

    expect(await waiting).toEqual({ sent: 0, more: true, lastSeq: 1 });
    expect(await deliveryOf(positions[1])).toMatchObject({ status: 'pending', attempts: 0 });
    expect(texts).toHaveLength(1);
  });

  it('a lane with nothing left is done at once; one whose only text is in flight in another attempt waits, then says there is more', async () => {
    const { id, positions } = await smsCampaign([{ status: 'sent' }, { status: 'sending', attempts: 1, leaseUntil: new Date(Date.now() + 5 * MINUTE) }]);
    const sms = worker();

    expect(await send(sms, { campaignId: id, afterSeq: 0, throughSeq: 1, stripe: 0, stripes: 1 })).toEqual({ sent: 0, more: false, lastSeq: 0 });

    const started = Date.now();
    expect(await send(sms, { campaignId: id, afterSeq: 0, throughSeq: 2, stripe: 0, stripes: 1 })).toEqual({ sent: 0, more: true, lastSeq: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
    expect(await deliveryOf(positions[1])).toMatchObject({ status: 'sending', attempts: 1 });
    expect(texts).toEqual([]);
  });

  it("spaces a worker's texts at least 1/TWILIO_MAX_PER_SECOND apart", async () => {
    const { id } = await smsCampaign([pending(), pending(), pending()]);
    const sms = worker(2); // 500 ms apart: wide enough that a loaded machine's database time does not blur it
    const lane = { campaignId: id, throughSeq: 3, stripe: 0, stripes: 1 };
    const started = Date.now();

    await send(sms, { ...lane, afterSeq: 0 });
    await send(sms, { ...lane, afterSeq: 1 });
    await send(sms, { ...lane, afterSeq: 2 });

    expect(texts).toHaveLength(3);
    // The turns are 500 ms apart; what each call does after its turn (a query, the ledger's claim) varies, by tens
    // of milliseconds on a busy machine. Unpaced, the three would arrive within a few milliseconds of each other.
    expect(texts[1].at - texts[0].at).toBeGreaterThanOrEqual(400);
    expect(texts[2].at - texts[1].at).toBeGreaterThanOrEqual(400);
    expect(texts[2].at - started).toBeGreaterThanOrEqual(1000);
  });
});
