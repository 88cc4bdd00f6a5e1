import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { deliveryFallback } from '../../workflows/delivery-fallback.js';
import { DELIVERY_FALLBACK_WORKFLOW, type DeliveryFallbackActivities } from '../../workflows/delivery-fallback.contract.js';
import { TIDINGS_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { recordFetchedHistory } from '../support/histories.js';
import { WORKFLOWS_PATH } from '../support/paths.js';
import { startTimeSkippingServer } from '../support/time-skipping.js';

const HOUR = 3_600_000;

/** The fallback workflow on Temporal's time-skipping test server; its activities record when they were asked to send. */
describe('delivery fallback workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let counter = 0;

  beforeAll(async () => {
    env = await startTimeSkippingServer(TIDINGS_SEARCH_ATTRIBUTES);
  }, 60_000);

  afterAll(async () => {
    await env?.teardown();
  });

  async function sendTimes(notBefore?: number, recordAs?: string): Promise<{ sends: Array<{ deliveryId: string; at: number }>; startedAt: number }> {
    const sends: Array<{ deliveryId: string; at: number }> = [];
    const activities: DeliveryFallbackActivities = {
      sendDelivery: async (deliveryId) => {
        sends.push({ deliveryId, at: await env.currentTimeMs() });
        return 'sent';
      },
      recordDeliveryGaveUp: async () => undefined,
    };
    const taskQueue = `fallback-${++counter}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities });
    const startedAt = await env.currentTimeMs();
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof deliveryFallback>(DELIVERY_FALLBACK_WORKFLOW, {
        taskQueue,
        workflowId: `delivery-fallback-test-${counter}`,
        args: [{ deliveryIds: ['sms-1'], ...(notBefore === undefined ? {} : { notBefore: startedAt + notBefore }) }],
      });
      await handle.result();
      if (recordAs) await recordFetchedHistory(handle, recordAs);
    });
    return { sends, startedAt };
  }

  test('sends at once when the recipient is outside quiet hours', async () => {
    const { sends, startedAt } = await sendTimes();
    expect(sends.map((send) => send.deliveryId)).toEqual(['sms-1']);
    expect(sends[0].at - startedAt).toBeLessThan(60_000);
  });

  test('inside quiet hours, waits for them to end and sends then', async () => {
    const { sends, startedAt } = await sendTimes(8 * HOUR, 'delivery-fallback-after-quiet-hours');
    expect(sends).toHaveLength(1);
    expect(sends[0].at - startedAt).toBeGreaterThanOrEqual(8 * HOUR);
    expect(sends[0].at - startedAt).toBeLessThan(8 * HOUR + 60_000);
  });
});
