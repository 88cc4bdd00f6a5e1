import { HttpException } from '@nestjs/common';
import { count, seedOrganization, seedUser } from '../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../test/support/test-database.js';
import { deliveriesOf } from '../delivery/delivery-timeline.js';
import type { Delivery } from '../delivery/delivery.entity.js';
import { WorkflowOutbox } from '../outbox/workflow-outbox.js';
import { ProviderEventHooks, type HardFailureEvent } from './provider-event-hooks.js';
import { ProviderEventsModule } from './provider-events.module.js';
import { ProviderEventsService, toProviderEvent } from './provider-events.service.js';

describe('ProviderEventsService (SendGrid events)', () => {
  let db: TestDatabase;
  let service: ProviderEventsService;
  let hooks: ProviderEventHooks;
  let organizationId: string;
  let recipientId: string;
  const hardFailures: Array<{ delivery: Delivery; event: HardFailureEvent }> = [];

  beforeAll(async () => {
    db = await TestDatabase.create();
    const built = await db.module(ProviderEventsModule);
    service = built.get(ProviderEventsService);
    hooks = built.get(ProviderEventHooks);
    hooks.onHardFailure(async (_em, delivery, event) => {
      hardFailures.push({ delivery, event });
    });
    organizationId = await seedOrganization(db);
    recipientId = (await seedUser(db, organizationId, 'member', 'Rita Recipient')).id;
  });

  afterAll(() => db?.drop());
  beforeEach(() => {
    hardFailures.length = 0;
  });

  /** An email (or SMS) the ledger sent a few seconds ago: the delivery settled `sent`, with its one attempt. */
  async function sentDelivery(channel: 'email' | 'sms' = 'email'): Promise<string> {
    const id = crypto.randomUUID();
    await db.query(
      `insert into delivery (id, organization_id, subject_type, subject_id, recipient_id, channel, kind, about_user_id, target, status, attempts, due_at, sent_at)
       values (?, ?, 'message', ?, ?, ?, 'message', ?, '', 'sent', 1, now(), now() - interval '2 seconds')`,
      [id, organizationId, crypto.randomUUID(), recipientId, channel, recipientId],
    );
    await db.query(
      `insert into delivery_attempt (delivery_id, number, started_at, finished_at, outcome) values (?, 1, now() - interval '3 seconds', now() - interval '2 seconds', 'sent')`,
      [id],
    );
    return id;
  }

  const now = () => Math.floor(Date.now() / 1000);
  /** A SendGrid event about `deliveryId`, as its webhook posts it (custom args at the top level). */
  const event = (deliveryId: string, kind: string, extra: Record<string, unknown> = {}) => ({
    email: 'rita@example.org',
    timestamp: now(),
    'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
    event: kind,
    sg_event_id: `sg-${crypto.randomUUID()}`,
    sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0',
    delivery_id: deliveryId,
    ...extra,
  });
  const post = (events: unknown) => db.request(() => service.recordSendgridEvents(events));
  const deliveryRow = async (id: string) =>
    (await db.query<{ status: string; last_error: string | null }>(`select status, last_error from delivery where id = ?`, [id]))[0];
  const recordedEvents = (id: string) =>
    db.query<{ event: string; reason: string | null }>(`select event, reason from delivery_event where delivery_id = ? order by occurred_at, created_at`, [id]);
  const timeline = async (id: string) => {
    const [subject] = await db.query<{ subject_id: string }>(`select subject_id from delivery where id = ?`, [id]);
    const deliveries = (await db.request(async () => deliveriesOf(db.em, 'message', [subject.subject_id]))).get(subject.subject_id)!;
    return deliveries[0].timeline;
  };

  it('records delivered and keeps the delivery sent; the timeline shows it after the attempt', async () => {
    const deliveryId = await sentDelivery();

    expect(await post([event(deliveryId, 'delivered', { response: '250 2.0.0 OK 1234 - gsmtp' })])).toEqual({ received: 1, recorded: 1 });

    expect(await deliveryRow(deliveryId)).toEqual({ status: 'sent', last_error: null });
    expect(await recordedEvents(deliveryId)).toEqual([{ event: 'delivered', reason: '250 2.0.0 OK 1234 - gsmtp' }]);
    expect(await timeline(deliveryId)).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'sent' }),
      { outcome: 'delivered', at: expect.any(Date), reason: '250 2.0.0 OK 1234 - gsmtp' },
    ]);
    expect(hardFailures).toEqual([]);
  });

  it('a hard bounce fails the delivery with the reason, addresses masked, and calls the listener once; the same event again changes nothing', async () => {
    const deliveryId = await sentDelivery();
    const bounce = event(deliveryId, 'bounce', {
      type: 'bounce',
      reason: '550 5.1.1 The email account that you tried to reach (rita@example.org) does not exist',
      status: '5.1.1',
    });

    expect(await post([bounce])).toEqual({ received: 1, recorded: 1 });
    const failed = { status: 'failed', last_error: 'bounced: 550 5.1.1 The email account that you tried to reach (<recipient>) does not exist' };
    expect(await deliveryRow(deliveryId)).toEqual(failed);
    expect(hardFailures).toHaveLength(1);
    expect(hardFailures[0].event).toBe('bounce');
    expect(hardFailures[0].delivery).toMatchObject({ id: deliveryId, channel: 'email', status: 'failed', recipientId });

    // SendGrid retries a batch it thinks was not received: recorded once, the listener not called again.
    expect(await post([bounce])).toEqual({ received: 1, recorded: 0 });
    expect(await post([bounce, bounce])).toEqual({ received: 2, recorded: 0 });
    expect(await deliveryRow(deliveryId)).toEqual(failed);
    expect(await count(db, 'delivery_event where provider_event_id = ?', [bounce.sg_event_id])).toBe(1);
    expect(hardFailures).toHaveLength(1);
    expect((await timeline(deliveryId)).map((entry) => entry.outcome)).toEqual(['sent', 'bounced']);
  });

  it('dropped fails the delivery too; a later hard failure of the same delivery is recorded but does not fail it again', async () => {
    const deliveryId = await sentDelivery();

    await post([event(deliveryId, 'dropped', { reason: 'Bounced Address' })]);
    expect(await deliveryRow(deliveryId)).toEqual({ status: 'failed', last_error: 'dropped: Bounced Address' });
    expect(hardFailures.map((f) => [f.delivery.id, f.event])).toEqual([[deliveryId, 'dropped']]);

    await post([event(deliveryId, 'bounce', { type: 'bounce', reason: '550 no such user' })]);
    expect(await deliveryRow(deliveryId)).toEqual({ status: 'failed', last_error: 'dropped: Bounced Address' });
    expect((await recordedEvents(deliveryId)).map((e) => e.event)).toEqual(['dropped', 'bounced']);
    expect(hardFailures).toHaveLength(1);
  });

  it('a blocked bounce and a deferral are recorded as deferred, and the delivery stays sent', async () => {
    const deliveryId = await sentDelivery();

    await post([
      event(deliveryId, 'deferred', { response: '421 4.7.0 Try again later', attempt: '1' }),
      event(deliveryId, 'bounce', { type: 'blocked', reason: '554 5.7.1 Service unavailable; client host blocked' }),
    ]);

    expect(await deliveryRow(deliveryId)).toEqual({ status: 'sent', last_error: null });
    expect(await recordedEvents(deliveryId)).toEqual([
      { event: 'deferred', reason: '421 4.7.0 Try again later' },
      { event: 'deferred', reason: 'blocked: 554 5.7.1 Service unavailable; client host blocked' },
    ]);
    expect(hardFailures).toEqual([]);
  });

  it('ignores what is not about an email of ours, and answers for the batch all the same', async () => {
    const email = await sentDelivery();
    const sms = await sentDelivery('sms');
    const before = await count(db, 'delivery_event');

    const result = await post([
      event(email, 'processed'),
      event(email, 'open'),
      event(sms, 'bounce', { type: 'bounce', reason: 'not an email' }),
      event(crypto.randomUUID(), 'bounce', { type: 'bounce', reason: 'no such delivery' }),
      event('not-a-uuid', 'dropped'),
      { ...event(email, 'dropped'), delivery_id: undefined },
      { ...event(email, 'dropped'), sg_event_id: undefined },
      'not an event',
      null,
    ]);

    expect(result).toEqual({ received: 9, recorded: 0 });
    expect(await count(db, 'delivery_event')).toBe(before);
    expect(await deliveryRow(email)).toEqual({ status: 'sent', last_error: null });
    expect(await deliveryRow(sms)).toEqual({ status: 'sent', last_error: null });
    expect(hardFailures).toEqual([]);
  });

  it('refuses a body that is not an array of events with 400', async () => {
    const refused = await post({ event: 'delivered' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HttpException);
    expect((refused as HttpException).getStatus()).toBe(400);
  });

  /** A listener that writes its decision down, as the campaign fallback does: an outbox entry named after the delivery. */
  const writingListener = () =>
    hooks.onHardFailure(async (em, delivery) => {
      await WorkflowOutbox.start(em, { workflowType: 'fallback', workflowId: `fallback-${delivery.id}`, args: [], searchAttributes: {} });
    });
  const outboxEntries = (deliveryId: string) => count(db, 'workflow_outbox where workflow_id = ?', [`fallback-${deliveryId}`]);

  it("runs the listeners inside the post's transaction: they see the delivery failed before anyone else does, and what they write commits with the event", async () => {
    const deliveryId = await sentDelivery();
    const seen: Array<{ inside: unknown; outside: unknown; events: number }> = [];
    const offSeeing = hooks.onHardFailure(async (em, delivery) => {
      const [inside] = await em.execute<Array<{ status: string }>>(`select status from delivery where id = ?`, [delivery.id]);
      const [{ n: events }] = await em.execute<Array<{ n: number }>>(`select count(*)::int as n from delivery_event where delivery_id = ?`, [delivery.id]);
      // Another connection: the transaction has not committed yet.
      const outside = (await deliveryRow(delivery.id)).status;
      seen.push({ inside: inside.status, outside, events });
    });
    const offWriting = writingListener();
    try {
      const bounce = event(deliveryId, 'bounce', { type: 'bounce', reason: '550 no such user' });
      expect(await post([bounce])).toEqual({ received: 1, recorded: 1 });
      expect(seen).toEqual([{ inside: 'failed', outside: 'sent', events: 1 }]);
      expect(await outboxEntries(deliveryId)).toBe(1);
      expect(hardFailures).toHaveLength(1);

      // The same event again: no listener is called, nothing more is written.
      expect(await post([bounce])).toEqual({ received: 1, recorded: 0 });
      expect(seen).toHaveLength(1);
      expect(await outboxEntries(deliveryId)).toBe(1);
      expect(hardFailures).toHaveLength(1);
    } finally {
      offSeeing();
      offWriting();
    }
  });

  it('a listener that throws rolls the whole post back, so SendGrid retries it; the retry is recorded and heard once', async () => {
    const deliveryId = await sentDelivery();
    const other = await sentDelivery();
    const offWriting = writingListener();
    const offFailing = hooks.onHardFailure(async () => {
      throw new Error('the fallback is down');
    });
    const batch = [event(other, 'delivered'), event(deliveryId, 'dropped', { reason: 'Unsubscribed Address' })];
    try {
      await expect(post(batch)).rejects.toThrow('the fallback is down');
      // Nothing of the post stays: not the events, not the failure, not what the first listener wrote.
      expect(await deliveryRow(deliveryId)).toEqual({ status: 'sent', last_error: null });
      expect(await recordedEvents(deliveryId)).toEqual([]);
      expect(await recordedEvents(other)).toEqual([]);
      expect(await outboxEntries(deliveryId)).toBe(0);
    } finally {
      offFailing();
    }
    try {
      hardFailures.length = 0;
      expect(await post(batch)).toEqual({ received: 2, recorded: 2 });
      expect(await deliveryRow(deliveryId)).toEqual({ status: 'failed', last_error: 'dropped: Unsubscribed Address' });
      expect(await outboxEntries(deliveryId)).toBe(1);
      expect(hardFailures.map((f) => [f.delivery.id, f.event])).toEqual([[deliveryId, 'dropped']]);
      expect(await post(batch)).toEqual({ received: 2, recorded: 0 });
      expect(await outboxEntries(deliveryId)).toBe(1);
      expect(hardFailures).toHaveLength(1);
    } finally {
      offWriting();
    }
  });

  it('dates each event by its unix timestamp, and places it after the attempt that started in the same second', async () => {
    const deliveryId = await sentDelivery();
    const [{ second }] = await db.query<{ second: number }>(
      `select floor(extract(epoch from started_at))::int as second from delivery_attempt where delivery_id = ?`,
      [deliveryId],
    );

    await post([event(deliveryId, 'delivered', { timestamp: second })]);

    const entries = await timeline(deliveryId);
    expect(entries.map((entry) => entry.outcome)).toEqual(['sent', 'delivered']);
    expect(entries[1]).toMatchObject({ at: new Date(second * 1000) });
  });

  test('toProviderEvent reads only what it needs, and without a usable timestamp dates the event when it came', () => {
    const receivedAt = new Date('2026-12-02T12:00:00Z');
    const deliveryId = crypto.randomUUID();
    expect(toProviderEvent({ event: 'delivered', delivery_id: deliveryId, sg_event_id: 'e1', timestamp: 'soon' }, receivedAt)).toEqual({
      deliveryId,
      providerEventId: 'e1',
      kind: 'delivered',
      reason: null,
      occurredAt: receivedAt,
      hardFailure: null,
    });
    expect(toProviderEvent({ event: 'bounce', delivery_id: deliveryId, sg_event_id: 'e2', timestamp: 1764676800 }, receivedAt)).toMatchObject({
      kind: 'bounced',
      hardFailure: 'bounce',
      occurredAt: new Date(1764676800 * 1000),
    });
  });
});
