import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { conversationMessage } from '../../workflows/conversation-message.js';
import { MAX_SENDS_IN_FLIGHT } from '../../workflows/delivery-policy.js';
import {
  conversationMessageStateQuery,
  recipientReadSignal,
  type ConversationMessageState,
  type ConversationNotificationActivities,
  type NotificationKey,
  type NotificationPlan,
  type NotificationTarget,
  type ProviderChannel,
} from '../../workflows/conversation-message.contract.js';
import { recordFetchedHistory } from '../support/histories.js';
import { WORKFLOWS_PATH } from '../support/paths.js';
import { startTimeSkippingServer } from '../support/time-skipping.js';

const MINUTE = 60_000;
const AUTHOR = 'author-staff';
const ALICE = 'alice';
const BOB = 'bob';

/**
 * The conversation message workflow on Temporal's time-skipping test server: half an hour passes in
 * milliseconds. The activities here stand in for the database and the providers and record what the
 * workflow asked of them, and when (in workflow time); the end-to-end suites run the real activities.
 */
class Ledger {
  plan: NotificationPlan = {
    recipients: [
      { userId: ALICE, channels: ['email', 'sms'] },
      { userId: BOB, channels: ['email', 'push'] },
    ],
    reminderAfterMs: null,
    readReceipt: false,
  };
  /** Who has read the message as far as the database knows (the reminder's double-check). */
  readInDatabase = new Set<string>();
  /** Who hears that someone read it. */
  readNoticeTargets: NotificationTarget[] = [{ userId: AUTHOR, channels: ['email', 'push'] }];
  /** `${userId}:${channel}` the provider refuses for good. */
  refused = new Set<string>();
  sent: Array<NotificationKey & { at: number }> = [];
  attempts: NotificationKey[] = [];
  failures: Array<{ key: NotificationKey; reason: string }> = [];
  readNoticesPlanned: Array<{ messageId: string; readerId: string; at: number }> = [];
  unreadChecks: Array<{ messageId: string; userIds: string[]; at: number }> = [];

  constructor(private readonly env: TestWorkflowEnvironment) {}

  now() {
    return this.env.currentTimeMs();
  }

  /** Sends Temporal gave up on, as the workflow recorded them. */
  gaveUp: Array<{ key: NotificationKey; reason: string }> = [];
  /** The most sends the workflow had pending at once. */
  mostInFlight = 0;
  private inFlight = 0;

  activities(): ConversationNotificationActivities {
    // The stand-in ledger's delivery ids carry the notification they stand for.
    const keyOf = (deliveryId: string): NotificationKey => JSON.parse(deliveryId);
    const send = async (key: NotificationKey) => {
      this.attempts.push(key);
      if (this.refused.has(`${key.userId}:${key.channel}`)) {
        // As the real ledger does: the activity itself records a permanent refusal.
        this.failures.push({ key, reason: 'SendGrid refused the email: invalid address' });
        throw ApplicationFailure.create({ type: 'PermanentDeliveryError', message: 'SendGrid refused the email: invalid address', nonRetryable: true });
      }
      this.sent.push({ ...key, at: await this.now() });
      return 'sent' as const;
    };
    return {
      planNotifications: async () => structuredClone(this.plan),
      findUnreadRecipients: async (messageId: string, userIds: string[]) => {
        this.unreadChecks.push({ messageId, userIds: [...userIds], at: await this.now() });
        return userIds.filter((id) => !this.readInDatabase.has(id));
      },
      planReadNotice: async (messageId: string, readerId: string) => {
        this.readNoticesPlanned.push({ messageId, readerId, at: await this.now() });
        return structuredClone(this.readNoticeTargets);
      },
      planDeliveries: async ({ messageId, kind, userIds, aboutUserId }) => {
        const channelsOf = new Map([...this.plan.recipients, ...this.readNoticeTargets].map((target) => [target.userId, target.channels]));
        return userIds.flatMap((userId) =>
          (channelsOf.get(userId) ?? []).map((channel) => ({
            deliveryId: JSON.stringify({ messageId, userId, channel, kind, aboutUserId: aboutUserId ?? userId }),
            channel,
          })),
        );
      },
      sendDelivery: async (deliveryId: string) => {
        this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
        try {
          // Long enough that a workflow scheduling everything at once would have it all pending together.
          await new Promise((resolve) => setTimeout(resolve, 5));
          return await send(keyOf(deliveryId));
        } finally {
          this.inFlight -= 1;
        }
      },
      recordDeliveryGaveUp: async (deliveryId: string, reason: string) => void this.gaveUp.push({ key: keyOf(deliveryId), reason }),
      sendNotification: send,
      recordNotificationFailure: async (key: NotificationKey, reason: string) => void this.failures.push({ key, reason }),
    };
  }

  /** What went out, as sorted `kind user channel [about]` lines. */
  sentLines(kind?: NotificationKey['kind']): string[] {
    return this.sent
      .filter((key) => !kind || key.kind === kind)
      .map((key) => `${key.kind} ${key.userId} ${key.channel}${key.aboutUserId !== key.userId ? ` about ${key.aboutUserId}` : ''}`)
      .sort();
  }
}

describe('conversationMessage workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startTimeSkippingServer();
  }, 60_000);

  afterAll(async () => {
    await env?.teardown();
  });

  let counter = 0;
  async function run(ledger: Ledger, during?: (handle: WorkflowHandle<typeof conversationMessage>, t0: number) => Promise<void>, recordAs?: string) {
    const taskQueue = `conversation-wf-test-${++counter}`;
    const messageId = `message-${counter}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities: ledger.activities() });
    return worker.runUntil(async () => {
      const t0 = await env.currentTimeMs();
      const handle = await env.client.workflow.start(conversationMessage, {
        taskQueue,
        workflowId: `conversation-message-test-${counter}`,
        args: [{ messageId }],
      });
      if (during) await during(handle, t0);
      const final = await handle.result();
      const { startTime, closeTime } = await handle.describe();
      if (recordAs) await recordFetchedHistory(handle, recordAs);
      return { final, t0, messageId, ranForMs: closeTime!.getTime() - startTime.getTime() };
    });
  }

  /** Queries until the workflow reports the wanted state (a few real milliseconds; workflow time is not moved). */
  async function stateWhen(
    handle: WorkflowHandle<typeof conversationMessage>,
    wanted: (state: ConversationMessageState) => boolean,
  ): Promise<ConversationMessageState> {
    let last: ConversationMessageState | undefined;
    for (let i = 0; i < 200; i++) {
      last = await handle.query(conversationMessageStateQuery).catch(() => undefined);
      if (last && wanted(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`the workflow never reached the wanted state; last: ${JSON.stringify(last)}`);
  }

  const awaitingReads = (state: ConversationMessageState) => state.phase === 'awaiting_reads';

  test('every recipient hears of the new message on each channel they can receive, and nothing more without reminders or receipts', async () => {
    const ledger = new Ledger(env);

    const { final, messageId } = await run(ledger);

    expect(ledger.sentLines()).toEqual(['new_message alice email', 'new_message alice sms', 'new_message bob email', 'new_message bob push']);
    expect(ledger.sent.every((key) => key.messageId === messageId)).toBe(true);
    expect(ledger.unreadChecks).toEqual([]);
    expect(ledger.readNoticesPlanned).toEqual([]);
    expect(ledger.failures).toEqual([]);
    expect(final).toEqual({ phase: 'ended', unread: [ALICE, BOB], reminded: [], readNotices: 0 });
  });

  test('with a 30-minute reminder and nobody reading, nothing more comes at 29 minutes and each recipient gets exactly one reminder after 30', async () => {
    const ledger = new Ledger(env);
    ledger.plan.reminderAfterMs = 30 * MINUTE;

    const { final, t0 } = await run(
      ledger,
      async (handle) => {
        await stateWhen(handle, awaitingReads);
        await env.sleep('29 minutes');
        const state = await handle.query(conversationMessageStateQuery);
        expect(state).toEqual({ phase: 'awaiting_reads', unread: [ALICE, BOB], reminded: [], readNotices: 0 });
        expect(ledger.sentLines('unread_reminder')).toEqual([]);
        expect(ledger.unreadChecks).toEqual([]);
      },
      'conversation-unread-reminder',
    );

    expect(ledger.sentLines('unread_reminder')).toEqual([
      'unread_reminder alice email',
      'unread_reminder alice sms',
      'unread_reminder bob email',
      'unread_reminder bob push',
    ]);
    for (const reminder of ledger.sent.filter((key) => key.kind === 'unread_reminder')) {
      expect(reminder.at).toBeGreaterThanOrEqual(t0 + 30 * MINUTE);
      expect(reminder.at).toBeLessThan(t0 + 31 * MINUTE);
    }
    expect(ledger.sentLines('new_message')).toHaveLength(4);
    expect(final.reminded).toEqual([ALICE, BOB]);
    expect(final.phase).toBe('ended');
  });

  test('a recipient who reads before the reminder is due gets none; the one who has not read still does', async () => {
    const ledger = new Ledger(env);
    ledger.plan.reminderAfterMs = 30 * MINUTE;

    const { final } = await run(
      ledger,
      async (handle) => {
        await stateWhen(handle, awaitingReads);
        await env.sleep('10 minutes');
        ledger.readInDatabase.add(ALICE);
        await handle.signal(recipientReadSignal, { userId: ALICE });
        expect((await stateWhen(handle, (state) => state.unread.length === 1)).unread).toEqual([BOB]);
      },
      'conversation-reminder-after-one-read',
    );

    expect(ledger.sentLines('unread_reminder')).toEqual(['unread_reminder bob email', 'unread_reminder bob push']);
    expect(ledger.unreadChecks.map((check) => check.userIds)).toEqual([[BOB]]);
    expect(final.reminded).toEqual([BOB]);
  });

  test('when everyone reads before the reminder is due, no reminder goes out and the workflow ends at once', async () => {
    const ledger = new Ledger(env);
    ledger.plan.reminderAfterMs = 30 * MINUTE;

    const { final, ranForMs } = await run(ledger, async (handle) => {
      await stateWhen(handle, awaitingReads);
      await env.sleep('5 minutes');
      await handle.signal(recipientReadSignal, { userId: ALICE });
      await handle.signal(recipientReadSignal, { userId: BOB });
    });

    expect(ledger.sentLines('unread_reminder')).toEqual([]);
    expect(ledger.unreadChecks).toEqual([]);
    expect(final).toEqual({ phase: 'ended', unread: [], reminded: [], readNotices: 0 });
    expect(ranForMs).toBeLessThan(10 * MINUTE);
  });

  test('a read the database knows of but whose signal never came earns no reminder', async () => {
    const ledger = new Ledger(env);
    ledger.plan.reminderAfterMs = 30 * MINUTE;
    ledger.readInDatabase.add(BOB);

    const { final } = await run(ledger);

    expect(ledger.unreadChecks.map((check) => check.userIds)).toEqual([[ALICE, BOB]]);
    expect(ledger.sentLines('unread_reminder')).toEqual(['unread_reminder alice email', 'unread_reminder alice sms']);
    expect(final.reminded).toEqual([ALICE]);
  });

  test('with no reminder configured, none is sent and the workflow ends right after notifying', async () => {
    const ledger = new Ledger(env);
    ledger.plan.reminderAfterMs = null;

    const { final, ranForMs } = await run(ledger);

    expect(ledger.sentLines('unread_reminder')).toEqual([]);
    expect(ledger.unreadChecks).toEqual([]);
    expect(final.phase).toBe('ended');
    expect(ranForMs).toBeLessThan(MINUTE);
  });

  test('with a read receipt, each reader produces one receipt about them to the author on every channel; the workflow ends when all have read', async () => {
    const ledger = new Ledger(env);
    ledger.plan.readReceipt = true;

    const { final, messageId, ranForMs } = await run(ledger, async (handle) => {
      await stateWhen(handle, awaitingReads);
      await env.sleep('1 minute');
      await handle.signal(recipientReadSignal, { userId: BOB });
      await stateWhen(handle, (state) => state.readNotices === 1);
      // Reading again, or a signal about someone who is no recipient, tells nobody anything.
      await handle.signal(recipientReadSignal, { userId: BOB });
      await handle.signal(recipientReadSignal, { userId: 'someone-else' });
      await env.sleep('1 minute');
      await handle.signal(recipientReadSignal, { userId: ALICE });
    });

    expect(ledger.readNoticesPlanned.map(({ messageId: id, readerId }) => [id, readerId])).toEqual([
      [messageId, BOB],
      [messageId, ALICE],
    ]);
    expect(ledger.sentLines('read_receipt')).toEqual([
      'read_receipt author-staff email about alice',
      'read_receipt author-staff email about bob',
      'read_receipt author-staff push about alice',
      'read_receipt author-staff push about bob',
    ]);
    expect(final).toEqual({ phase: 'ended', unread: [], reminded: [], readNotices: 2 });
    expect(ranForMs).toBeLessThan(10 * MINUTE);
  });

  test('a read receipt goes out when the recipient reads, not only once the unread reminder is due', async () => {
    const ledger = new Ledger(env);
    ledger.plan.readReceipt = true;
    ledger.plan.reminderAfterMs = 30 * MINUTE;

    const { final, t0 } = await run(ledger, async (handle) => {
      await stateWhen(handle, awaitingReads);
      await env.sleep('1 minute');
      ledger.readInDatabase.add(ALICE);
      await handle.signal(recipientReadSignal, { userId: ALICE });
      // The author hears of it now, while Bob's reminder is still 29 minutes away.
      await stateWhen(handle, (state) => state.readNotices === 1);
      expect(ledger.sentLines('read_receipt')).toEqual(['read_receipt author-staff email about alice', 'read_receipt author-staff push about alice']);
      expect(ledger.sentLines('unread_reminder')).toEqual([]);
      await env.sleep('40 minutes');
      await handle.signal(recipientReadSignal, { userId: BOB });
    });

    for (const receipt of ledger.sent.filter((key) => key.kind === 'read_receipt' && key.aboutUserId === ALICE))
      expect(receipt.at).toBeLessThan(t0 + 2 * MINUTE);
    expect(ledger.sentLines('unread_reminder')).toEqual(['unread_reminder bob email', 'unread_reminder bob push']);
    expect(ledger.sentLines('read_receipt')).toHaveLength(4);
    expect(final).toMatchObject({ phase: 'ended', unread: [], reminded: [BOB], readNotices: 2 });
  });

  test('a permanent provider refusal is recorded as that notification’s failure and every other notification still goes out', async () => {
    const ledger = new Ledger(env);
    ledger.refused.add(`${ALICE}:sms`);

    const { final, messageId } = await run(ledger);

    expect(ledger.attempts.filter((key) => key.userId === ALICE && key.channel === 'sms')).toHaveLength(1);
    expect(ledger.failures).toEqual([
      {
        key: { messageId, userId: ALICE, channel: 'sms' as ProviderChannel, kind: 'new_message', aboutUserId: ALICE },
        reason: 'SendGrid refused the email: invalid address',
      },
    ]);
    // Written once, by the refused send: the workflow records nothing more.
    expect(ledger.gaveUp).toEqual([]);
    expect(ledger.sentLines()).toEqual(['new_message alice email', 'new_message bob email', 'new_message bob push']);
    expect(final.phase).toBe('ended');
  });

  test('a conversation with hundreds of recipients notifies every one of them with at most MAX_SENDS_IN_FLIGHT sends pending at once', async () => {
    const ledger = new Ledger(env);
    const everyone = Array.from({ length: 250 }, (_, i) => `member-${i}`);
    ledger.plan = { recipients: everyone.map((userId) => ({ userId, channels: ['email', 'push'] })), reminderAfterMs: null, readReceipt: false };

    const { final } = await run(ledger);

    expect(ledger.sent).toHaveLength(500);
    expect(new Set(ledger.sent.map((key) => `${key.userId} ${key.channel}`)).size).toBe(500);
    expect(ledger.mostInFlight).toBeLessThanOrEqual(MAX_SENDS_IN_FLIGHT);
    expect(ledger.mostInFlight).toBeGreaterThan(1);
    expect(final.phase).toBe('ended');
  }, 120_000);
});
