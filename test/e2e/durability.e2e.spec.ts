import { Api, createOrganization, eventually, secondsFromNow, sleep, TestOrganization } from '../support/api.js';
import { recordHistory } from '../support/histories.js';
import { Platform } from '../support/platform.js';

/**
 * A stored message is delivered whatever happens to the worker or to Temporal: the message center shows
 * it at its time by query, and its workflow (started through the outbox) sends the rest once it can.
 */
describe('durability (end to end)', () => {
  let platform: Platform;
  let org: TestOrganization;
  let member: { id: string; api: Api };

  beforeAll(async () => {
    platform = await new Platform({ persistentTemporal: true }).start();
    org = await createOrganization(platform.baseUrl);
    member = await org.addUser('member');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const messageOf = async (id: string) => (await org.admin.get(`/v1/messages/${id}`)).body;
  const deliveryOf = async (id: string, channel: string) => (await messageOf(id)).deliveries.find((d: { channel: string }) => d.channel === channel);
  const inboxIds = async () => (await member.api.get('/v1/me/messages')).body.items.map((m: { id: string }) => m.id);

  test('a message due while its worker is dead is in the message center on time, and its other channels go out once a worker is back, exactly once', async () => {
    const deliverAt = secondsFromNow(3);
    const { body: scheduled } = await org.admin.post('/v1/messages', {
      recipientId: member.id,
      title: 'Reminder',
      body: 'Visit on Friday',
      channels: ['message_center', 'email'],
      deliverAt,
    });
    expect(scheduled.status).toBe('scheduled');
    await eventually(async () => expect((await platform.client.workflow.getHandle(scheduled.workflowId).describe()).status.name).toBe('RUNNING'));

    await platform.worker.stop('SIGKILL');
    expect(await inboxIds()).not.toContain(scheduled.id);
    await sleep(Date.parse(deliverAt) - Date.now());
    // No worker runs, yet the message is in the message center from its delivery time on.
    expect(await inboxIds()).toContain(scheduled.id);
    expect((await messageOf(scheduled.id)).status).toBe('delivered');
    expect(await deliveryOf(scheduled.id, 'email')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await deliveryOf(scheduled.id, 'message_center')).toMatchObject({ status: 'sent' });

    await platform.startWorker();
    await eventually(async () => expect(await deliveryOf(scheduled.id, 'email')).toMatchObject({ status: 'sent', attempts: 1 }), 30_000);
    expect(await platform.query(`select channel, status, attempts from delivery where subject_id = $1`, [scheduled.id])).toEqual([
      { channel: 'email', status: 'sent', attempts: 1 },
    ]);
    expect(await inboxIds()).toEqual([scheduled.id]);
    await recordHistory(platform.temporal.address, scheduled.workflowId, 'delivered-after-worker-crash');
  });

  test('while Temporal is stopped scheduling still answers 202 and health reports the backlog; when it is back, past-due messages go out at once', async () => {
    const sleeping = await org.admin.post('/v1/messages', {
      recipientId: member.id,
      title: 'Renewal',
      body: 'Your policy renews soon',
      channels: ['email'],
      deliverAt: secondsFromNow(4),
    });
    await eventually(async () => expect((await platform.client.workflow.getHandle(sleeping.body.workflowId).describe()).status.name).toBe('RUNNING'));

    await platform.temporal.stop();
    const accepted = await org.admin.post('/v1/messages', {
      recipientId: member.id,
      title: 'Claim update',
      body: 'Your claim was approved',
      channels: ['message_center', 'email'],
      deliverAt: secondsFromNow(1),
    });
    expect(accepted.status).toBe(202);
    const health = await new Api(platform.baseUrl).get('/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'degraded', database: 'up', temporal: 'down', outbox: { pending: 1 } } });
    // The message center does not wait for Temporal.
    await eventually(async () => expect(await inboxIds()).toContain(accepted.body.id));

    await sleep(Math.max(0, Date.parse(sleeping.body.deliverAt) - Date.now()) + 1000);
    expect(await deliveryOf(accepted.body.id, 'email')).toMatchObject({ status: 'pending' });
    await platform.temporal.start();
    // Both are past due by now: the one accepted while Temporal was down and the one asleep in it.
    await eventually(async () => expect(await deliveryOf(accepted.body.id, 'email')).toMatchObject({ status: 'sent', attempts: 1 }), 60_000);
    await eventually(async () => expect(await deliveryOf(sleeping.body.id, 'email')).toMatchObject({ status: 'sent', attempts: 1 }), 60_000);
    await eventually(async () => expect((await new Api(platform.baseUrl).get('/health')).body).toMatchObject({ status: 'ok', outbox: { pending: 0 } }), 20_000);
  }, 180_000);
});
