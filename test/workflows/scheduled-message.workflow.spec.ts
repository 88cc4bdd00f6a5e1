import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { scheduledMessage } from '../../workflows/scheduled-message.js';
import {
  cancelSignal,
  readSignal,
  rescheduleSignal,
  stateQuery,
  type Channel,
  type ProviderChannel,
  type ScheduledMessageActivities,
  type ScheduledMessageInput,
} from '../../workflows/scheduled-message.contract.js';
import { WORKFLOWS_PATH } from '../support/paths.js';
import { startTimeSkippingServer } from '../support/time-skipping.js';

const DAY = 24 * 3600_000;

/**
 * The workflow on Temporal's time-skipping test server: days pass in milliseconds. The activities here
 * stand in for the database and providers and record what the workflow asked of them and when
 * (in workflow time); the end-to-end suites run the real activities.
 */
class Ledger {
  events: Array<{ at: number; what: string }> = [];
  status: 'scheduled' | 'delivered' | 'cancelled' | 'dismissed' | 'failed' = 'scheduled';
  deliverAt = 0;
  dismissAt: number | null = null;
  channels: Channel[] = ['message_center', 'email'];
  failuresBeforeSuccess: Partial<Record<ProviderChannel, number>> = {};
  permanentlyFailing = new Set<ProviderChannel>();
  attempts: Partial<Record<ProviderChannel, number>> = {};
  failures: Array<{ channel: Channel; reason: string }> = [];
  constructor(private readonly env: TestWorkflowEnvironment) {}

  now() {
    return this.env.currentTimeMs();
  }

  dismissIso() {
    return this.dismissAt ? new Date(this.dismissAt).toISOString() : null;
  }

  /** Sends that Temporal gave up on, as the workflow recorded them. */
  gaveUp: Array<{ channel: Channel; reason: string }> = [];

  activities(): ScheduledMessageActivities {
    const deliver = async (channel: ProviderChannel) => {
      this.attempts[channel] = (this.attempts[channel] ?? 0) + 1;
      if (this.permanentlyFailing.has(channel)) {
        // As the real ledger does: the activity itself records a permanent refusal.
        this.failures.push({ channel, reason: 'invalid address' });
        throw ApplicationFailure.create({ type: 'PermanentDeliveryError', message: 'invalid address', nonRetryable: true });
      }
      if ((this.failuresBeforeSuccess[channel] ?? 0) >= this.attempts[channel]!) throw new Error('provider answered 503');
      this.events.push({ at: await this.now(), what: `sent:${channel}` });
      return 'sent' as const;
    };
    const channelOf = (deliveryId: string) => deliveryId.replace(/^delivery-/, '') as ProviderChannel;
    const activities = {
      claimDelivery: async () => {
        const now = await this.now();
        if (this.status !== 'scheduled') return { outcome: 'gone' as const };
        if (this.deliverAt > now + 50) return { outcome: 'not_due' as const, deliverAt: new Date(this.deliverAt).toISOString() };
        this.status = 'delivered';
        this.events.push({ at: now, what: 'claimed' });
        if (this.channels.includes('message_center')) this.events.push({ at: now, what: 'sent:message_center' });
        return { outcome: 'claimed' as const, channels: this.channels, dismissAt: this.dismissAt ? new Date(this.dismissAt).toISOString() : null };
      },
      planDelivery: async () =>
        this.channels
          .filter((channel): channel is ProviderChannel => channel !== 'message_center')
          .map((channel) => ({ deliveryId: `delivery-${channel}`, channel })),
      // As the real service: a message claimed by another channel's activity is claimed for this one too.
      deliverMessageChannel: async (_messageId: string, channel: ProviderChannel) => {
        const claim = await activities.claimDelivery();
        if (claim.outcome !== 'claimed' && this.status !== 'delivered') return claim;
        return { outcome: 'claimed' as const, dismissAt: this.dismissIso(), sent: await deliver(channel) };
      },
      recordChannelFailure: async (_messageId: string, channel: Channel, reason: string) => void this.gaveUp.push({ channel, reason }),
      claimAndPlanDelivery: async () => {
        const claim = await activities.claimDelivery();
        return claim.outcome === 'claimed' ? { ...claim, targets: await activities.planDelivery() } : claim;
      },
      sendDelivery: (deliveryId: string) => deliver(channelOf(deliveryId)),
      recordDeliveryGaveUp: async (deliveryId: string, reason: string) => void this.gaveUp.push({ channel: channelOf(deliveryId), reason }),
      finishDelivery: async () => (this.failures.length + this.gaveUp.length === this.channels.length ? 'failed' : 'delivered'),
      dismissMessage: async () => {
        this.status = 'dismissed';
        this.events.push({ at: await this.now(), what: 'dismissed' });
        return { outcome: 'dismissed' as const };
      },
    };
    return activities as unknown as ScheduledMessageActivities;
  }
}

describe('scheduledMessage workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startTimeSkippingServer();
  }, 60_000);

  afterAll(async () => {
    await env?.teardown();
  });

  let counter = 0;
  async function run(ledger: Ledger, input: Partial<ScheduledMessageInput>, during?: (handle: WorkflowHandle<typeof scheduledMessage>) => Promise<void>) {
    const taskQueue = `wf-test-${++counter}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: ledger.activities(),
    });
    const start = () =>
      env.client.workflow.start(scheduledMessage, {
        taskQueue,
        workflowId: `message-test-${counter}`,
        args: [
          {
            messageId: `m-${counter}`,
            deliverAt: new Date(ledger.deliverAt).toISOString(),
            dismissAt: ledger.dismissAt ? new Date(ledger.dismissAt).toISOString() : null,
            channels: ledger.channels,
            ...input,
          },
        ],
      });
    return worker.runUntil(async () => {
      const handle = await start();
      if (during) await during(handle);
      return handle.result();
    });
  }

  test('sleeps three days, delivers every channel at the delivery time, and dismisses thirty days later', async () => {
    const ledger = new Ledger(env);
    const t0 = await env.currentTimeMs();
    ledger.deliverAt = t0 + 3 * DAY;
    ledger.dismissAt = ledger.deliverAt + 30 * DAY;

    const final = await run(ledger, {});

    expect(final.outcome).toBe('dismissed');
    const claimed = ledger.events.find((e) => e.what === 'claimed')!;
    expect(claimed.at).toBeGreaterThanOrEqual(ledger.deliverAt);
    expect(claimed.at - ledger.deliverAt).toBeLessThan(1000);
    expect(ledger.events.map((e) => e.what).sort()).toEqual(['claimed', 'dismissed', 'sent:email', 'sent:message_center']);
    const dismissed = ledger.events.find((e) => e.what === 'dismissed')!;
    expect(dismissed.at).toBeGreaterThanOrEqual(ledger.dismissAt);
    expect(dismissed.at - ledger.dismissAt).toBeLessThan(1000);
  }, 60_000);

  test('a cancel before the delivery time ends it without delivering anything', async () => {
    const ledger = new Ledger(env);
    ledger.deliverAt = (await env.currentTimeMs()) + 2 * DAY;

    const final = await run(ledger, {}, async (handle) => {
      await env.sleep('1 day');
      ledger.status = 'cancelled';
      await handle.signal(cancelSignal);
    });

    expect(final.outcome).toBe('cancelled');
    expect(ledger.events).toEqual([]);
  }, 60_000);

  test('a reschedule moves the delivery to the new time', async () => {
    const ledger = new Ledger(env);
    const t0 = await env.currentTimeMs();
    ledger.deliverAt = t0 + 2 * DAY;
    ledger.channels = ['email'];
    const movedTo = t0 + 5 * DAY;

    const final = await run(ledger, {}, async (handle) => {
      await env.sleep('1 day');
      ledger.deliverAt = movedTo;
      await handle.signal(rescheduleSignal, { deliverAt: new Date(movedTo).toISOString() });
      expect((await handle.query(stateQuery)).deliverAt).toBe(new Date(movedTo).toISOString());
    });

    expect(final.outcome).toBe('delivered');
    const sent = ledger.events.find((e) => e.what === 'sent:email')!;
    expect(sent.at).toBeGreaterThanOrEqual(movedTo);
    expect(sent.at - movedTo).toBeLessThan(1000);
  }, 60_000);

  test('a channel failing twice is retried with backoff and then succeeds, without holding back the others', async () => {
    const ledger = new Ledger(env);
    ledger.deliverAt = await env.currentTimeMs();
    ledger.channels = ['sms', 'email'];
    ledger.failuresBeforeSuccess = { sms: 2 };

    const final = await run(ledger, {});

    expect(final.outcome).toBe('delivered');
    expect(final.channels).toEqual({ sms: 'sent', email: 'sent' });
    expect(ledger.attempts).toEqual({ sms: 3, email: 1 });
    const email = ledger.events.find((e) => e.what === 'sent:email')!;
    const sms = ledger.events.find((e) => e.what === 'sent:sms')!;
    // 2 s then 4 s of backoff before the third attempt.
    expect(sms.at - email.at).toBeGreaterThanOrEqual(6000);
    expect(ledger.failures).toEqual([]);
  }, 60_000);

  test('a permanent refusal fails that channel at once with its reason; the other channels still go out', async () => {
    const ledger = new Ledger(env);
    ledger.deliverAt = await env.currentTimeMs();
    ledger.channels = ['message_center', 'email'];
    ledger.permanentlyFailing.add('email');

    const final = await run(ledger, {}, async (handle) => {
      // The message stays in the message center until read (it has no dismiss time).
      for (let i = 0; i < 50 && (await handle.query(stateQuery)).phase !== 'in_message_center'; i++) await env.sleep('1 second');
      await handle.signal(readSignal, { readAt: new Date().toISOString() });
    });

    expect(ledger.attempts.email).toBe(1);
    expect(ledger.failures).toEqual([{ channel: 'email', reason: 'invalid address' }]);
    // Written once, by the send that was refused: the workflow records nothing more.
    expect(ledger.gaveUp).toEqual([]);
    expect(final.channels).toEqual({ message_center: 'sent', email: 'failed' });
    expect(final.outcome).toBe('delivered');
  }, 60_000);

  test('a send that fails for a whole day is given up once, with the provider’s reason, and the other channels are not held back', async () => {
    const ledger = new Ledger(env);
    ledger.deliverAt = await env.currentTimeMs();
    ledger.channels = ['message_center', 'sms', 'email'];
    ledger.failuresBeforeSuccess = { sms: Number.MAX_SAFE_INTEGER };

    const final = await run(ledger, {}, async (handle) => {
      for (let i = 0; i < 200 && (await handle.query(stateQuery)).channels.sms !== 'failed'; i++) await env.sleep('1 hour');
      await handle.signal(readSignal, { readAt: new Date().toISOString() });
    });

    expect(final.channels).toEqual({ message_center: 'sent', email: 'sent', sms: 'failed' });
    expect(ledger.gaveUp).toEqual([{ channel: 'sms', reason: 'provider answered 503' }]);
    // Backoff doubles from 2 s to at most 10 minutes: about 150 attempts fit in the day.
    expect(ledger.attempts.sms).toBeGreaterThan(100);
    expect(ledger.attempts.sms).toBeLessThan(200);
    expect(ledger.events.filter((e) => e.what === 'sent:email')).toHaveLength(1);
  }, 120_000);

  test('every channel failing for good makes the message failed', async () => {
    const ledger = new Ledger(env);
    ledger.deliverAt = await env.currentTimeMs();
    ledger.channels = ['sms'];
    ledger.permanentlyFailing.add('sms');

    const final = await run(ledger, {});

    expect(final.outcome).toBe('failed');
  }, 60_000);

  test('the read signal is recorded, and with no dismiss time the message’s life ends once read', async () => {
    const ledger = new Ledger(env);
    ledger.deliverAt = (await env.currentTimeMs()) + DAY;
    ledger.channels = ['message_center'];
    const readAt = new Date(ledger.deliverAt + 2 * DAY).toISOString();

    const final = await run(ledger, {}, async (handle) => {
      await env.sleep('2 days');
      expect((await handle.query(stateQuery)).phase).toBe('in_message_center');
      expect((await handle.query(stateQuery)).readAt).toBeNull();
      await handle.signal(readSignal, { readAt });
    });

    expect(final.readAt).toBe(readAt);
    expect(final.outcome).toBe('delivered');
  }, 60_000);
});
