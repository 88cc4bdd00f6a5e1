import { Api, createOrganization, eventually, sleep, TestOrganization } from '../support/api.js';
import { recordHistory } from '../support/histories.js';
import { Platform } from '../support/platform.js';
import { createPushSubscription } from '../fakes/push-service-fake.js';
import { ProviderFakes } from '../support/provider-fakes.js';

interface DeliveryView {
  channel: string;
  pushSubscriptionId?: string;
  status: string;
  attempts: number;
  lastError: string | null;
  timeline: Array<{ attempt: number; outcome: string; reason: string | null }>;
}

/**
 * What the README promises about sends, against the real worker, Temporal dev server and PostgreSQL, with
 * the providers as loopback fakes: a slow provider is waited for, not sent to twice; a worker stopped with
 * SIGTERM finishes its send first; only a worker killed mid-send leaves an outcome unknown, and then the
 * send is repeated once, marked as such; each push subscription succeeds or fails on its own.
 */
describe('delivery guarantees (end to end)', () => {
  const fakes = new ProviderFakes();
  const { sendgrid, twilio, pushService } = fakes;
  let platform: Platform;
  let org: TestOrganization;
  let member: { id: string; api: Api };

  beforeAll(async () => {
    platform = await new Platform({ env: await fakes.start() }).start();
    org = await createOrganization(platform.baseUrl);
    member = await org.addUser('member', { phone: '+15551230001' });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await fakes.stop();
  });

  beforeEach(() => fakes.reset());

  const sendNow = async (channels: string[], recipientId = member.id) => {
    const response = await org.admin.post('/v1/messages', { recipientId, title: 'Claim update', body: 'Your claim was approved.', channels });
    expect(response.status).toBe(202);
    return response.body as { id: string; workflowId: string };
  };
  const deliveriesOf = async (id: string): Promise<DeliveryView[]> => (await org.admin.get(`/v1/messages/${id}`)).body.deliveries;
  const deliveryOf = async (id: string, channel: string) => (await deliveriesOf(id)).find((d) => d.channel === channel)!;
  const workflowStatus = async (workflowId: string) => (await platform.client.workflow.getHandle(workflowId).describe()).status.name;

  test('a provider that accepts the SMS and answers only after 70 s is waited for: exactly one SMS', async () => {
    twilio.delayNext(70_000);
    const message = await sendNow(['sms']);

    await twilio.whenReceived(1);
    await eventually(async () => expect(await deliveryOf(message.id, 'sms')).toMatchObject({ status: 'sent', attempts: 1 }), 110_000);
    expect(twilio.received).toHaveLength(1);
    expect((await deliveryOf(message.id, 'sms')).timeline.map((t) => t.outcome)).toEqual(['sent']);
    await eventually(async () => expect(await workflowStatus(message.workflowId)).toBe('COMPLETED'));
    expect(twilio.received).toHaveLength(1);
  }, 150_000);

  test('a worker stopped with SIGTERM during a slow send finishes it first: exactly one email', async () => {
    sendgrid.delayNext(6_000);
    const message = await sendNow(['email']);
    await sendgrid.whenReceived(1);

    const exit = await platform.worker.stop('SIGTERM', 60_000);
    // It exited by itself, after the provider answered and the send was recorded.
    expect(exit?.signal).toBeNull();
    expect(await deliveryOf(message.id, 'email')).toMatchObject({ status: 'sent', attempts: 1 });

    await platform.startWorker();
    await eventually(async () => expect(await workflowStatus(message.workflowId)).toBe('COMPLETED'), 30_000);
    expect(sendgrid.received).toHaveLength(1);
    expect((await deliveryOf(message.id, 'email')).timeline.map((t) => t.outcome)).toEqual(['sent']);
  }, 120_000);

  test('a worker killed with SIGKILL during a slow send: the email goes out at most twice, and the second is marked resent_after_crash', async () => {
    sendgrid.delayNext(60_000);
    const message = await sendNow(['email']);
    await sendgrid.whenReceived(1);

    await platform.worker.stop('SIGKILL');
    await platform.startWorker();
    // Another attempt comes once the dead one's heartbeat is missed, but it must not send while the dead
    // attempt's lease lasts: the provider may still be working on the first request.
    await sleep(30_000);
    expect(sendgrid.received).toHaveLength(1);
    expect(await deliveryOf(message.id, 'email')).toMatchObject({ status: 'sending', attempts: 1 });

    await eventually(async () => expect(await deliveryOf(message.id, 'email')).toMatchObject({ status: 'sent' }), 200_000);
    expect(sendgrid.received).toHaveLength(2);
    const { timeline, attempts } = await deliveryOf(message.id, 'email');
    expect(attempts).toBe(2);
    expect(timeline.map((t) => t.outcome)).toEqual(['unknown', 'resent_after_crash']);
    await eventually(async () => expect(await workflowStatus(message.workflowId)).toBe('COMPLETED'), 30_000);
    expect(sendgrid.received).toHaveLength(2);
    await recordHistory(platform.temporal.address, message.workflowId, 'email-resent-after-crash');
  }, 300_000);

  test('each push subscription succeeds or fails on its own: a flaky one is retried without re-pushing the healthy one, a gone one is forgotten, a refused one fails alone', async () => {
    const person = await org.addUser('member');
    const healthy = createPushSubscription(pushService.baseUrl);
    const flaky = createPushSubscription(pushService.baseUrl);
    const gone = createPushSubscription(pushService.baseUrl);
    const refused = createPushSubscription(pushService.baseUrl);
    for (const device of [healthy, flaky, gone, refused]) expect((await person.api.post('/v1/me/push-subscriptions', device.subscription)).status).toBe(201);
    pushService
      .failSubscription(flaky.subscription.endpoint, 503, 3)
      .expireSubscription(gone.subscription.endpoint)
      .failSubscription(refused.subscription.endpoint, 400);

    const message = await sendNow(['message_center', 'push'], person.id);
    await eventually(async () => {
      const pushes = (await deliveriesOf(message.id)).filter((d) => d.channel === 'push');
      expect(pushes.map((d) => d.status).sort()).toEqual(['failed', 'sent', 'sent', 'skipped']);
    }, 60_000);

    const idOf = (device: typeof healthy) => device.subscription.endpoint.split('/').pop()!;
    const to = (device: typeof healthy) => pushService.received.filter((push) => push.subscriptionId === idOf(device));
    expect(to(healthy).map((push) => push.status)).toEqual([201]);
    expect(to(flaky).map((push) => push.status)).toEqual([503, 503, 503, 201]);
    expect(to(gone).map((push) => push.status)).toEqual([410]);
    expect(to(refused).map((push) => push.status)).toEqual([400]);
    // A resend of the same delivery carries the same Topic, so the push service replaces rather than duplicates it.
    expect(new Set(to(flaky).map((push) => push.topic)).size).toBe(1);
    expect(to(flaky)[0]!.topic).not.toBe(to(healthy)[0]!.topic);
    expect(to(healthy)[0]!.ttl).toBe('86400');

    // The gone subscription is forgotten; the others stay.
    expect(await platform.query(`select endpoint from push_subscription where user_id = $1 order by endpoint`, [person.id])).toEqual(
      [healthy, flaky, refused].map((device) => ({ endpoint: device.subscription.endpoint })).sort((a, b) => a.endpoint.localeCompare(b.endpoint)),
    );
    const view = await org.admin.get(`/v1/messages/${message.id}`);
    expect(view.body.status).toBe('delivered');
    const byDevice = new Map((view.body.deliveries as DeliveryView[]).filter((d) => d.channel === 'push').map((d) => [d.pushSubscriptionId, d]));
    expect(byDevice.size).toBe(4);
    expect([...byDevice.values()].find((d) => d.status === 'failed')).toMatchObject({ attempts: 1, lastError: expect.stringContaining('400') });
    expect([...byDevice.values()].find((d) => d.status === 'sent' && d.attempts === 4)?.timeline.map((t) => t.outcome)).toEqual([
      'retrying',
      'retrying',
      'retrying',
      'sent',
    ]);
  }, 120_000);

  test('a push endpoint is checked again just before each send: one whose host now points at a non-public address fails for good, saying why, without a request, and only that device', async () => {
    const person = await org.addUser('member');
    const healthy = createPushSubscription(pushService.baseUrl);
    const rebound = createPushSubscription(pushService.baseUrl);
    for (const device of [healthy, rebound]) expect((await person.api.post('/v1/me/push-subscriptions', device.subscription)).status).toBe(201);
    // What DNS rebinding does between subscribing and sending: the stored endpoint's host now resolves to
    // the cloud metadata address, which is refused even with PUSH_ALLOW_PRIVATE_HOSTS.
    const reboundId = rebound.subscription.endpoint.split('/').pop()!;
    await platform.query(`update push_subscription set endpoint = $1 where endpoint = $2`, [
      `https://169.254.169.254/push/${reboundId}`,
      rebound.subscription.endpoint,
    ]);

    const message = await sendNow(['push'], person.id);
    await eventually(async () => {
      const pushes = await deliveriesOf(message.id);
      expect(pushes.map((d) => d.status).sort()).toEqual(['failed', 'sent']);
    }, 60_000);
    const failed = (await deliveriesOf(message.id)).find((d) => d.status === 'failed')!;
    expect(failed).toMatchObject({
      attempts: 1,
      lastError: 'PermanentDeliveryError: push endpoint refused before sending: must not point at a link-local address',
    });
    expect(failed.timeline.map((t) => t.outcome)).toEqual(['failed']);
    expect(pushService.received.map((push) => push.subscriptionId)).toEqual([healthy.subscription.endpoint.split('/').pop()]);
  }, 120_000);
});
