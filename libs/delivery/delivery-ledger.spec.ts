import { Module } from '@nestjs/common';
import { Client as PgClient } from 'pg';
import { count, seedOrganization, seedUser } from '../../test/support/conversation-use-cases.js';
import { waitFor } from '../../test/support/processes.js';
import { TestDatabase } from '../../test/support/test-database.js';
import { valueOf } from '../../test/metrics/exposition.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { TidingsMetrics } from '../metrics/tidings-metrics.js';
import { DeliveryLedger, type Claim, type SettledOutcome } from './delivery-ledger.js';
import { DeliveryModule } from './delivery.module.js';

/** The ledger as the worker wires it: DeliveryModule, with the one TidingsMetrics of the application. */
@Module({ imports: [MetricsModule, DeliveryModule] })
class LedgerUnderTest {}

type SendClaim = Extract<Claim, { kind: 'send' }>;

describe('DeliveryLedger', () => {
  let db: TestDatabase;
  let ledger: DeliveryLedger;
  let metrics: TidingsMetrics;
  let organizationId: string;
  let recipientId: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const built = await db.module(LedgerUnderTest);
    ledger = built.get(DeliveryLedger);
    metrics = built.get(TidingsMetrics);
    organizationId = await seedOrganization(db);
    recipientId = (await seedUser(db, organizationId, 'member', 'Rita Recipient')).id;
  });

  afterAll(() => db?.drop());

  /** A pending email delivery of a scheduled message, as DeliveryLedger.plan writes it. */
  async function seedDelivery(): Promise<string> {
    const id = crypto.randomUUID();
    await db.query(
      `insert into delivery (id, organization_id, subject_type, subject_id, recipient_id, channel, kind, about_user_id, target, status, due_at)
       values (?, ?, 'message', ?, ?, 'email', 'message', ?, '', 'pending', now())`,
      [id, organizationId, crypto.randomUUID(), recipientId, recipientId],
    );
    return id;
  }

  // Each call is one unit of work of its own, as each activity runs in the worker.
  const claim = (deliveryId: string) => db.request(() => ledger.claim(deliveryId));
  const settle = (claimed: SendClaim, outcome: SettledOutcome) => db.request(() => ledger.settle(claimed, outcome));
  async function claimToSend(deliveryId: string): Promise<SendClaim> {
    const claimed = await claim(deliveryId);
    if (claimed.kind !== 'send') throw new Error(`expected to send delivery ${deliveryId}, got ${claimed.kind}`);
    return claimed;
  }
  /** The lease of the attempt in flight ran out: its worker died during the provider call. */
  const expireLease = (deliveryId: string) => db.query(`update delivery set lease_until = now() - interval '1 second' where id = ?`, [deliveryId]);

  const deliveryRow = async (deliveryId: string) =>
    (
      await db.query<{
        status: string;
        attempts: number;
        lease_live: boolean | null;
        last_error: string | null;
        provider_message_id: string | null;
        sent: boolean;
      }>(
        `select status, attempts, lease_until > now() as lease_live, last_error, provider_message_id, sent_at is not null as sent from delivery where id = ?`,
        [deliveryId],
      )
    )[0];
  /** The delivery's timeline, as support reads it. */
  const timeline = (deliveryId: string) =>
    db.query<{ number: number; outcome: string | null; finished: boolean }>(
      `select number, outcome, finished_at is not null as finished from delivery_attempt where delivery_id = ? order by number`,
      [deliveryId],
    );
  const deliveriesCounted = async (outcome: string) => valueOf(await metrics.exposition(), 'tidings_deliveries_total', { channel: 'email', outcome }) ?? 0;

  it('lets exactly one of two racing claims send: the other sees the attempt in flight', async () => {
    const deliveryId = await seedDelivery();
    // Hold the row so both claims are parked on its lock before either runs: a real race, not two
    // claims that happen to run one after the other.
    const gate = new PgClient({ connectionString: db.url });
    const watcher = new PgClient({ connectionString: db.url });
    await Promise.all([gate.connect(), watcher.connect()]);
    try {
      await gate.query('begin');
      await gate.query('select 1 from delivery where id = $1 for update', [deliveryId]);
      const racing = Promise.all([claim(deliveryId), claim(deliveryId)]);
      await waitFor(
        'both claims to wait on the delivery row',
        async () =>
          (
            await watcher.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
            )
          ).rows[0].n === 2,
        10_000,
      );
      await gate.query('commit');
      const claims = await racing;

      const sends = claims.filter((c): c is SendClaim => c.kind === 'send');
      expect(sends).toHaveLength(1);
      expect(sends[0]).toMatchObject({ attempt: 1, resend: false });
      expect(claims.filter((c) => c.kind === 'in_progress')).toHaveLength(1);
    } finally {
      await Promise.all([gate.end(), watcher.end()]);
    }
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'sending', attempts: 1, lease_live: true });
    expect(await timeline(deliveryId)).toEqual([{ number: 1, outcome: null, finished: false }]);
  });

  it('does not send while another attempt holds a live lease, and resends once that lease has run out', async () => {
    const deliveryId = await seedDelivery();
    const first = await claimToSend(deliveryId);
    expect(first).toMatchObject({ attempt: 1, resend: false });
    const before = await db.query('select * from delivery where id = ?', [deliveryId]);

    expect((await claim(deliveryId)).kind).toBe('in_progress');
    expect(await db.query('select * from delivery where id = ?', [deliveryId])).toEqual(before);
    expect(await timeline(deliveryId)).toEqual([{ number: 1, outcome: null, finished: false }]);

    await expireLease(deliveryId);
    const unknownBefore = await deliveriesCounted('unknown');
    const second = await claim(deliveryId);

    expect(second).toMatchObject({ kind: 'send', attempt: 2, resend: true });
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'sending', attempts: 2, lease_live: true });
    expect(await timeline(deliveryId)).toEqual([
      { number: 1, outcome: 'unknown', finished: true },
      { number: 2, outcome: null, finished: false },
    ]);
    expect(await db.query('select reason from delivery_attempt where delivery_id = ? and number = 1', [deliveryId])).toEqual([
      { reason: 'the worker stopped during the provider call; whether it was sent is unknown' },
    ]);
    // The operator's counter shows the possible duplicate once.
    expect(await deliveriesCounted('unknown')).toBe(unknownBefore + 1);
  });

  it('records a send after a crash as resent_after_crash, so support can tell the recipient may have it twice', async () => {
    const deliveryId = await seedDelivery();
    await claimToSend(deliveryId);
    await expireLease(deliveryId);
    const resend = await claimToSend(deliveryId);

    await settle(resend, { status: 'sent', providerMessageId: 'sg-resent-2' });

    expect(await deliveryRow(deliveryId)).toEqual({
      status: 'sent',
      attempts: 2,
      lease_live: null,
      last_error: null,
      provider_message_id: 'sg-resent-2',
      sent: true,
    });
    expect(await timeline(deliveryId)).toEqual([
      { number: 1, outcome: 'unknown', finished: true },
      { number: 2, outcome: 'resent_after_crash', finished: true },
    ]);
  });

  it('ignores the outcome of a stale attempt: it neither reopens nor settles the delivery the later attempt holds', async () => {
    const deliveryId = await seedDelivery();
    const stale = await claimToSend(deliveryId);
    await expireLease(deliveryId);
    const current = await claimToSend(deliveryId);
    expect(current.attempt).toBe(2);

    // Attempt 1's worker was only slow; its late "try again" must not put the delivery back to pending,
    // or a third attempt would send while attempt 2 is still talking to the provider.
    await settle(stale, { status: 'retrying', reason: 'provider answered 503' });
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'sending', attempts: 2, lease_live: true, last_error: null });
    expect((await claim(deliveryId)).kind).toBe('in_progress');

    await settle(stale, { status: 'failed', reason: 'provider refused the address' });
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'sending', attempts: 2, lease_live: true, last_error: null });
    // Its timeline entry stays what the takeover wrote, and nothing is counted for it a second time.
    const sentBefore = await deliveriesCounted('sent');
    await settle(stale, { status: 'sent', providerMessageId: 'sg-late-1' });
    expect(await timeline(deliveryId)).toEqual([
      { number: 1, outcome: 'unknown', finished: true },
      { number: 2, outcome: null, finished: false },
    ]);
    expect(await deliveriesCounted('sent')).toBe(sentBefore);

    await settle(current, { status: 'sent', providerMessageId: 'sg-2' });
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'sent', attempts: 2, provider_message_id: 'sg-2', last_error: null });
  });

  it('writes and counts an outcome once, however often it is settled', async () => {
    const deliveryId = await seedDelivery();
    const claimed = await claimToSend(deliveryId);
    const sentBefore = await deliveriesCounted('sent');

    await settle(claimed, { status: 'sent', providerMessageId: 'sg-once' });
    const settledTimeline = await timeline(deliveryId);
    await settle(claimed, { status: 'sent', providerMessageId: 'sg-once' });

    expect(await deliveriesCounted('sent')).toBe(sentBefore + 1);
    expect(await timeline(deliveryId)).toEqual(settledTimeline);
  });

  it('closes the open attempt when Temporal gives up on a delivery, so no attempt looks still in flight', async () => {
    const deliveryId = await seedDelivery();
    await claimToSend(deliveryId);

    await db.request(() => ledger.giveUp([deliveryId], 'provider answered 503 for a day'));

    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'failed', last_error: 'provider answered 503 for a day' });
    expect(await timeline(deliveryId)).toEqual([{ number: 1, outcome: 'failed', finished: true }]);
  });

  it('puts a delivery whose provider failed for now back to pending, and the next claim sends it again as a new attempt', async () => {
    const deliveryId = await seedDelivery();
    const first = await claimToSend(deliveryId);

    await settle(first, { status: 'retrying', reason: 'provider answered 429' });

    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'pending', attempts: 1, lease_live: null, last_error: 'provider answered 429' });
    const second = await claim(deliveryId);
    expect(second).toMatchObject({ kind: 'send', attempt: 2, resend: false });
    expect(await timeline(deliveryId)).toEqual([
      { number: 1, outcome: 'retrying', finished: true },
      { number: 2, outcome: null, finished: false },
    ]);
  });

  it('answers settled, without a new attempt, when a sent or failed delivery is claimed again', async () => {
    const sentId = await seedDelivery();
    await settle(await claimToSend(sentId), { status: 'sent', providerMessageId: 'sg-1' });
    const failedId = await seedDelivery();
    await settle(await claimToSend(failedId), { status: 'failed', reason: 'invalid address' });

    expect(await claim(sentId)).toMatchObject({ kind: 'settled', delivery: { status: 'sent', attempts: 1 } });
    expect(await claim(failedId)).toMatchObject({ kind: 'settled', delivery: { status: 'failed', lastError: 'invalid address' } });

    expect(await count(db, 'delivery_attempt where delivery_id in (?, ?)', [sentId, failedId])).toBe(2);
    expect(await deliveryRow(sentId)).toMatchObject({ status: 'sent', attempts: 1, lease_live: null });
    expect(await deliveryRow(failedId)).toMatchObject({ status: 'failed', attempts: 1, lease_live: null });
  });
});
