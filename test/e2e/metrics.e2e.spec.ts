import { Api, createOrganization, eventually, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { Platform } from '../support/platform.js';
import { SendgridFake } from '../fakes/sendgrid-fake.js';
import { samplesOf, valueOf } from '../metrics/exposition.js';

const SENDGRID_KEY = 'SG.test-key';

/**
 * What Prometheus sees: the API's /metrics timing requests by route pattern, and the worker's own
 * /metrics port counting deliveries next to the Temporal SDK's metrics, on the real platform.
 */
describe('metrics (end to end)', () => {
  const sendgrid = new SendgridFake(SENDGRID_KEY);
  let platform: Platform;
  let org: TestOrganization;
  let staff: Api;

  beforeAll(async () => {
    const sendgridUrl = await sendgrid.start();
    platform = await new Platform({
      env: { EMAIL_PROVIDER: 'sendgrid', SENDGRID_API_KEY: SENDGRID_KEY, SENDGRID_API_BASE_URL: sendgridUrl, EMAIL_FROM: 'Tidings <no-reply@tidings.test>' },
    }).start();
    org = await createOrganization(platform.baseUrl);
    staff = (await org.addUser('staff')).api;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await sendgrid.stop();
  });

  const scrape = async (url: string) => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const deliveryStatus = async (messageId: string, channel: string) =>
    (await staff.get(`/v1/messages/${messageId}`)).body.deliveries.find((d: { channel: string }) => d.channel === channel)?.status;

  test('the API answers /metrics without a token, timing each request by its route pattern and never its ids', async () => {
    const member = await org.addUser('member');
    // With no worker (so no relay), the message's workflow start waits in the outbox, and the gauge shows it.
    await platform.worker.stop();
    const scheduled = await staff.post('/v1/messages', { recipientId: member.id, title: 'Welcome', body: 'Hello.', channels: ['message_center'] });
    expect(scheduled.status).toBe(202);
    expect((await staff.get(`/v1/messages/${scheduled.body.id}`)).status).toBe(200);
    expect((await staff.get(`/v1/messages/${UNKNOWN_ID}`)).status).toBe(404);
    expect((await staff.get(`/v1/no-such-route/${UNKNOWN_ID}`)).status).toBe(404);

    const text = await scrape(`${platform.baseUrl}/metrics`);
    const requests = (labels: Record<string, string>) => valueOf(text, 'tidings_http_request_duration_seconds_count', labels);
    expect(requests({ method: 'POST', route: '/v1/messages', status: '202' })).toBe(1);
    expect(requests({ method: 'GET', route: '/v1/messages/:id', status: '200' })).toBe(1);
    expect(requests({ method: 'GET', route: '/v1/messages/:id', status: '404' })).toBe(1);
    expect(requests({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain(scheduled.body.id);
    expect(text).not.toContain(UNKNOWN_ID);
    expect(samplesOf(text, 'process_cpu_seconds_total')).toHaveLength(1);
    expect(valueOf(text, 'tidings_outbox_backlog')).toBe(1);
    await platform.startWorker();
    await eventually(async () => expect(valueOf(await scrape(`${platform.baseUrl}/metrics`), 'tidings_outbox_backlog')).toBe(0));
  });

  test("the worker's metrics port counts each delivery outcome once, with its lag, beside the Temporal SDK's metrics", async () => {
    const reachable = await org.addUser('member');
    const refused = await org.addUser('member');
    sendgrid.rejectAddress(refused.email);
    const send = (recipientId: string) =>
      staff.post('/v1/messages', { recipientId, title: 'Your claim was approved', body: 'Claim 4411.', channels: ['message_center', 'email', 'sms'] });
    const [delivered, failed] = await Promise.all([send(reachable.id), send(refused.id)]);
    expect([delivered.status, failed.status]).toEqual([202, 202]);

    await eventually(async () => {
      expect(await deliveryStatus(delivered.body.id, 'email')).toBe('sent');
      expect(await deliveryStatus(failed.body.id, 'email')).toBe('failed');
      expect(await deliveryStatus(delivered.body.id, 'sms')).toBe('skipped');
      expect(await deliveryStatus(failed.body.id, 'sms')).toBe('skipped');
    });
    expect(sendgrid.delivered).toHaveLength(1);

    const text = await eventually(async () => {
      const text = await scrape(platform.workerMetricsUrl);
      expect(valueOf(text, 'tidings_deliveries_total', { channel: 'email', outcome: 'sent' })).toBe(1);
      return text;
    });
    expect(valueOf(text, 'tidings_deliveries_total', { channel: 'email', outcome: 'failed' })).toBe(1);
    // Members have no phone number: nothing to send, which is an outcome too.
    expect(valueOf(text, 'tidings_deliveries_total', { channel: 'sms', outcome: 'skipped' })).toBe(2);
    expect(samplesOf(text, 'tidings_deliveries_total', { outcome: 'retrying' })).toEqual([]);
    expect(valueOf(text, 'tidings_delivery_lag_seconds_count', { channel: 'email' })).toBe(1);

    // The SDK's own view of the same work, from its exporter.
    // Email and SMS are sent at the delivery time by deliverMessageChannel, one run per message and channel.
    const sendRuns = samplesOf(text, 'temporal_activity_execution_latency_seconds_count', {
      activity_type: 'deliverMessageChannel',
      task_queue: platform.taskQueue,
    });
    expect(sendRuns.reduce((sum, sample) => sum + sample.value, 0)).toBeGreaterThanOrEqual(4);
    expect(valueOf(text, 'temporal_worker_start_total', { task_queue: platform.taskQueue })).toBe(1);
    expect(text).not.toContain(reachable.email);
    expect(text).not.toContain(delivered.body.id);
  });
});
