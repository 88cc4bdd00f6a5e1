import { Api, createOrganization, eventually, secondsFromNow, sleep, TestOrganization } from '../support/api.js';
import { recordHistory } from '../support/histories.js';
import { Platform } from '../support/platform.js';

/** A sleeping message survives its worker crashing and the Temporal server restarting. */
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

  const statusOf = async (id: string) => (await org.admin.get(`/v1/messages/${id}`)).body;

  test('a message sleeping while its worker crashes is delivered once a worker is back, exactly once', async () => {
    const deliverAt = secondsFromNow(3);
    const { body: scheduled } = await org.admin.post('/v1/messages', { recipientId: member.id, title: 'Reminder', body: 'Visit on Friday', channels: ['message_center'], deliverAt });
    expect(scheduled.status).toBe('scheduled');

    await platform.worker.stop('SIGKILL');
    await sleep(4500);
    expect((await statusOf(scheduled.id)).status).toBe('scheduled');
    expect((await member.api.get('/v1/me/messages')).body.items).toEqual([]);

    await platform.startWorker();
    await eventually(async () => expect((await statusOf(scheduled.id)).status).toBe('delivered'), 30_000);
    await eventually(async () => {
      const inbox = (await member.api.get('/v1/me/messages')).body.items;
      expect(inbox.map((m: { id: string }) => m.id)).toEqual([scheduled.id]);
    });
    expect(await platform.query(`select count(*)::int as n from message_delivery where message_id = $1`, [scheduled.id])).toEqual([{ n: 1 }]);
    await recordHistory(platform.temporal.address, scheduled.workflowId, 'delivered-after-worker-crash');
  });

  test('a message sleeping while the Temporal server restarts is delivered when it is back; health says 503 meanwhile', async () => {
    const deliverAt = secondsFromNow(4);
    const { body: scheduled } = await org.admin.post('/v1/messages', { recipientId: member.id, title: 'Renewal', body: 'Your policy renews soon', channels: ['message_center'], deliverAt });

    await platform.temporal.stop();
    const health = await new Api(platform.baseUrl).get('/health');
    expect(health).toMatchObject({ status: 503, body: { database: 'up', temporal: 'down' } });
    // While Temporal is down nothing can be scheduled, and nothing half-written stays behind.
    const refused = await org.admin.post('/v1/messages', { recipientId: member.id, title: 'x', body: 'y', channels: ['message_center'] });
    expect(refused.status).toBe(503);
    expect(await platform.query(`select count(*)::int as n from message where title = 'x'`)).toEqual([{ n: 0 }]);

    await sleep(2000);
    await platform.temporal.start();
    await eventually(async () => expect((await statusOf(scheduled.id)).status).toBe('delivered'), 60_000);
    await eventually(async () => expect((await new Api(platform.baseUrl).get('/health')).status).toBe(200), 20_000);
  }, 120_000);
});
