import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { addBusinessMinutes } from '../../libs/chat-requests/business-hours.js';
import { chatRequestWorkflowStart } from '../../libs/chat-requests/chat-request-workflow.js';
import type { BusinessHours } from '../../libs/organizations/organization.entity.js';
import type { chatRequest } from '../../workflows/chat-request.js';
import {
  ASSIGNEE_ID,
  awayPeriodSetSignal,
  cancelUpdate,
  careManagerChangedSignal,
  changeReasonUpdate,
  claimUpdate,
  closeUpdate,
  CONVERSATION_ID,
  firstResponseSignal,
  periodCovering,
  TASK_NOT_OPEN,
  TASK_STATUS,
  taskStateQuery,
  type AwayPeriodNotice,
  type ChatRequestActivities,
  type DeliveryTarget,
  type RecordedTaskChange,
  type TaskChange,
  type TaskEventKind,
  type TaskState,
} from '../../workflows/chat-request.contract.js';
import { TIDINGS_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { recordFetchedHistory } from '../support/histories.js';
import { WORKFLOWS_PATH } from '../support/paths.js';
import { startTimeSkippingServer } from '../support/time-skipping.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const OWNER = 'casey';
const COVER = 'dana';
const MEMBER = 'member-1';
const NEW_YORK = 'America/New_York';
const NEW_YORK_OFFICE: BusinessHours = { timezone: NEW_YORK, days: [1, 2, 3, 4, 5], start: '08:00', end: '17:00' };
/** The changes the stand-in activity plans a notification for, as the real one does for the assignee and supervisors. */
const NOTIFYING = new Set<TaskEventKind>(['created', 'reassigned', 'breached', 'escalated']);

type ChatRequestHandle = WorkflowHandle<typeof chatRequest>;

interface RecordedChange {
  kind: TaskEventKind;
  actorId: string | null;
  state: TaskState;
  details: TaskChange['details'];
  /** Workflow time when the workflow asked for it to be stored. */
  at: number;
}

/**
 * The chat-request workflow on Temporal's time-skipping test server: a weekend passes in milliseconds. The
 * activities here stand in for the database and the providers and record what the workflow asked of them,
 * and when (in workflow time); the end-to-end suites run the real activities.
 */
class Ledger {
  changes: RecordedChange[] = [];
  sent: Array<{ kind: TaskEventKind; plannedAt: number; channel: DeliveryTarget['channel']; at: number }> = [];
  gaveUp: Array<{ deliveryId: string; reason: string }> = [];
  /** Changes whose storing takes a while (real time), as a slow database would. */
  slowToStore = new Set<TaskEventKind>();
  /** Changes the workflow has begun to store (`changes` holds those stored). */
  storing: TaskEventKind[] = [];
  private readonly recorded = new Map<string, RecordedTaskChange>();

  constructor(private readonly env: TestWorkflowEnvironment) {}

  now() {
    return this.env.currentTimeMs();
  }

  activities(): ChatRequestActivities {
    return {
      recordTaskChange: async (change) => {
        // As the real activity: a retried write (same event id) records the event once and answers as before.
        const before = this.recorded.get(change.eventId);
        if (before) return before;
        const at = await this.now();
        const notify: DeliveryTarget[] = NOTIFYING.has(change.kind) ? [{ deliveryId: JSON.stringify({ kind: change.kind, at }), channel: 'email' }] : [];
        const recorded = { chatId: `chat-with-${change.state.assigneeId}`, notify };
        this.recorded.set(change.eventId, recorded);
        this.storing.push(change.kind);
        if (this.slowToStore.has(change.kind)) await new Promise((resolve) => setTimeout(resolve, 500));
        this.changes.push({ kind: change.kind, actorId: change.actorId, state: change.state, details: change.details, at });
        return recorded;
      },
      sendDelivery: async (deliveryId) => {
        const { kind, at } = JSON.parse(deliveryId) as { kind: TaskEventKind; at: number };
        this.sent.push({ kind, plannedAt: at, channel: 'email', at: await this.now() });
        return 'sent';
      },
      recordDeliveryGaveUp: async (deliveryId, reason) => void this.gaveUp.push({ deliveryId, reason }),
    };
  }

  kinds(): TaskEventKind[] {
    return this.changes.map((change) => change.kind);
  }

  only(kind: TaskEventKind): RecordedChange {
    const found = this.changes.filter((change) => change.kind === kind);
    if (found.length !== 1) throw new Error(`expected one ${kind} change, found ${found.length}: ${JSON.stringify(this.kinds())}`);
    return found[0];
  }

  /** Waits (a few real milliseconds; workflow time is not moved) until the workflow has asked for `count` changes of `kind`. */
  async awaitChange(kind: TaskEventKind, count = 1): Promise<RecordedChange> {
    for (let i = 0; i < 200; i++) {
      const found = this.changes.filter((change) => change.kind === kind);
      if (found.length >= count) return found[count - 1];
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`the workflow never recorded ${count} ${kind} change(s); recorded: ${JSON.stringify(this.kinds())}`);
  }

  async awaitSent(kind: TaskEventKind): Promise<void> {
    for (let i = 0; i < 200 && !this.sent.some((send) => send.kind === kind); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `at` is the moment itself, give or take the real milliseconds the server and worker take: never before it. */
function expectAtMoment(at: number, moment: number) {
  expect(at).toBeGreaterThanOrEqual(moment);
  expect(at - moment).toBeLessThan(1000);
}

describe('chatRequest workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startTimeSkippingServer(TIDINGS_SEARCH_ATTRIBUTES);
  }, 60_000);

  afterAll(async () => {
    await env?.teardown();
  });

  let counter = 0;

  /** A chat request made now (workflow time), as the API makes one: its SLA clock counted with addBusinessMinutes. */
  async function newRequest(
    options: {
      firstResponseMinutes?: number;
      escalateAfterMinutes?: number;
      businessHours?: BusinessHours | null;
      ownerAwayPeriods?: (createdAt: number) => AwayPeriodNotice[];
    } = {},
  ) {
    const createdAt = new Date(await env.currentTimeMs());
    const { firstResponseMinutes = 60, escalateAfterMinutes = 240, businessHours = null } = options;
    const ownerAwayPeriods = options.ownerAwayPeriods?.(createdAt.getTime()) ?? [];
    const assigneeId = periodCovering(ownerAwayPeriods, createdAt.getTime())?.coveredById ?? OWNER;
    const id = `request-${++counter}`;
    const start = chatRequestWorkflowStart({
      id,
      organizationId: 'org-1',
      memberId: MEMBER,
      programId: 'program-1',
      ownerId: OWNER,
      assigneeId,
      chatId: `chat-with-${assigneeId}`,
      ownerAwayPeriods,
      dueAt: addBusinessMinutes(createdAt, firstResponseMinutes, businessHours),
      escalateAt: addBusinessMinutes(createdAt, escalateAfterMinutes, businessHours),
    });
    const [input] = start.args as Parameters<typeof chatRequest>;
    return { createdAt: createdAt.getTime(), start, input };
  }

  /**
   * Runs the request's workflow with the ledger's activities while `during` drives it; the workflow is
   * terminated afterwards if `during` left it running, so no timer of it is pending for the next test.
   */
  async function run<T>(ledger: Ledger, request: Awaited<ReturnType<typeof newRequest>>, during: (handle: ChatRequestHandle) => Promise<T>): Promise<T> {
    const taskQueue = `wf-test-${request.start.workflowId}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities: ledger.activities() });
    return worker.runUntil(async () => {
      const { start } = request;
      const handle = await env.client.workflow.start<typeof chatRequest>('chatRequest', {
        taskQueue,
        workflowId: start.workflowId,
        args: start.args as Parameters<typeof chatRequest>,
        // As the API's gateway starts it (libs/temporal/workflow-gateway.ts).
        typedSearchAttributes: Object.entries(start.searchAttributes).map(([name, value]): SearchAttributePair => ({
          key: defineSearchAttributeKey(name, SearchAttributeType.KEYWORD),
          value,
        })),
      });
      try {
        return await during(handle);
      } finally {
        if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test over');
      }
    });
  }

  /** Moves workflow time on to `moment` (epoch ms) exactly, or as near as the server's own clock lets it. */
  async function sleepUntil(moment: number) {
    const ms = moment - (await env.currentTimeMs());
    if (ms > 0) await env.sleep(ms);
  }

  /** The workflow's search attributes once `key` reads `value` (upserted just after the change is stored), or as they stand after a few seconds. */
  async function searchAttributesWhen(handle: ChatRequestHandle, key: typeof ASSIGNEE_ID, value: string) {
    let attributes = (await handle.describe()).typedSearchAttributes;
    for (let i = 0; i < 200 && attributes.get(key) !== value; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      attributes = (await handle.describe()).typedSearchAttributes;
    }
    return attributes;
  }

  const close = (handle: ChatRequestHandle, byUserId = OWNER) => handle.executeUpdate(closeUpdate, { args: [{ outcome: 'resolved', byUserId }] });

  describe('the first-response clock', () => {
    test('without business hours, 60 minutes are due exactly 60 minutes after the request: breached then, not before', async () => {
      const ledger = new Ledger(env);
      const request = await newRequest({ firstResponseMinutes: 60, businessHours: null });
      expect(request.input.dueAt).toBe(request.createdAt + 60 * MINUTE);

      await run(ledger, request, async (handle) => {
        await ledger.awaitChange('created');
        await sleepUntil(request.input.dueAt - 2000);
        expect((await handle.query(taskStateQuery)).breachedAt).toBeNull();
        expect(ledger.kinds()).toEqual(['created']);

        await sleepUntil(request.input.dueAt + 1000);
        const breached = await ledger.awaitChange('breached');
        expectAtMoment(breached.at, request.input.dueAt);
        expectAtMoment(breached.state.breachedAt!, request.input.dueAt);
        expect(breached.actorId).toBeNull();
        await close(handle);
      });
    });

    test('with New York office hours, a request made Friday 16:30 with 60 minutes is breached Monday 08:30, not Friday evening', async () => {
      const ledger = new Ledger(env);
      // The server's clock starts at the real time: move it on to the next Friday 16:30 in New York.
      const now = DateTime.fromMillis(await env.currentTimeMs(), { zone: NEW_YORK });
      let friday = now.set({ weekday: 5, hour: 16, minute: 30, second: 0, millisecond: 0 });
      if (friday <= now) friday = friday.plus({ weeks: 1 });
      await sleepUntil(friday.toMillis());

      const request = await newRequest({ firstResponseMinutes: 60, businessHours: NEW_YORK_OFFICE });
      const created = DateTime.fromMillis(request.createdAt, { zone: NEW_YORK });
      expect([created.weekday, created.hour, created.minute]).toEqual([5, 16, 30]);
      const due = DateTime.fromMillis(request.input.dueAt, { zone: NEW_YORK });
      expect([due.weekday, due.hour, due.minute]).toEqual([1, 8, 30]);

      await run(ledger, request, async (handle) => {
        await ledger.awaitChange('created');
        // Friday 17:30, when a clock that ignored the office hours would have gone off.
        await sleepUntil(request.createdAt + HOUR + MINUTE);
        expect((await handle.query(taskStateQuery)).breachedAt).toBeNull();
        await sleepUntil(request.input.dueAt - 2000);
        expect((await handle.query(taskStateQuery)).breachedAt).toBeNull();
        expect(ledger.kinds()).toEqual(['created']);

        await sleepUntil(request.input.dueAt + 1000);
        const breached = await ledger.awaitChange('breached');
        expectAtMoment(breached.at, request.input.dueAt);
        expectAtMoment(breached.state.breachedAt!, request.input.dueAt);
        const local = DateTime.fromMillis(breached.state.breachedAt!, { zone: NEW_YORK });
        expect([local.weekday, local.hour, local.minute]).toEqual([1, 8, 30]);
        await close(handle);
      });
    });

    test('breached at the due time, then escalated at the escalation time, each notified, and the task keeps both moments', async () => {
      const ledger = new Ledger(env);
      const request = await newRequest({ firstResponseMinutes: 60, escalateAfterMinutes: 240 });

      const final = await run(ledger, request, async (handle) => {
        await sleepUntil(request.input.dueAt + 1000);
        const breached = await ledger.awaitChange('breached');
        expectAtMoment(breached.state.breachedAt!, request.input.dueAt);
        expect(breached.state.escalatedAt).toBeNull();
        await ledger.awaitSent('breached');

        await sleepUntil(request.input.escalateAt - 2000);
        expect(ledger.kinds()).toEqual(['created', 'breached']);
        await sleepUntil(request.input.escalateAt + 1000);
        const escalated = await ledger.awaitChange('escalated');
        expectAtMoment(escalated.at, request.input.escalateAt);
        expect(escalated.state.breachedAt).toBe(breached.state.breachedAt);
        expectAtMoment(escalated.state.escalatedAt!, request.input.escalateAt);
        await ledger.awaitSent('escalated');

        const state = await handle.query(taskStateQuery);
        expect(state.breachedAt).toBe(breached.state.breachedAt);
        expect(state.escalatedAt).toBe(escalated.state.escalatedAt);
        await close(handle);
        const result = await handle.result();
        await recordFetchedHistory(handle, 'chat-request-breached-escalated-closed');
        return result;
      });

      expect(ledger.kinds()).toEqual(['created', 'breached', 'escalated', 'closed']);
      // Each notification planned went out once, when it was planned.
      expect(ledger.sent.map((send) => send.kind).sort()).toEqual(['breached', 'created', 'escalated']);
      for (const send of ledger.sent) expect(send.at - send.plannedAt).toBeLessThan(1000);
      expectAtMoment(ledger.sent.find((send) => send.kind === 'breached')!.at, request.input.dueAt);
      expectAtMoment(ledger.sent.find((send) => send.kind === 'escalated')!.at, request.input.escalateAt);
      expect(ledger.gaveUp).toEqual([]);
      expect(final.status).toBe('closed');
      expect(final.breachedAt).not.toBeNull();
      expect(final.escalatedAt).not.toBeNull();
    });

    test('a first response before the due time stops the clock: no breach and no escalation, ever', async () => {
      const ledger = new Ledger(env);
      const request = await newRequest({ firstResponseMinutes: 60, escalateAfterMinutes: 240 });

      await run(ledger, request, async (handle) => {
        await ledger.awaitChange('created');
        await sleepUntil(request.createdAt + 30 * MINUTE);
        const at = await env.currentTimeMs();
        await handle.signal(firstResponseSignal, { at, byUserId: OWNER });
        const responded = await ledger.awaitChange('responded');
        expect(responded.state.firstResponseAt).toBe(at);

        await sleepUntil(request.input.escalateAt + HOUR);
        const state = await handle.query(taskStateQuery);
        expect(state).toMatchObject({ status: 'open', firstResponseAt: at, breachedAt: null, escalatedAt: null });
        expect(ledger.kinds()).toEqual(['created', 'responded']);
        await close(handle);
      });
      expect(ledger.sent.map((send) => send.kind)).toEqual(['created']);
    });

    test('changing the reason does not restart the clock: the breach is still at the original due time', async () => {
      const ledger = new Ledger(env);
      const request = await newRequest({ firstResponseMinutes: 60 });

      await run(ledger, request, async (handle) => {
        await ledger.awaitChange('created');
        await sleepUntil(request.createdAt + 45 * MINUTE);
        const reason = { id: 'reason-billing', label: 'Billing' };
        const changed = await handle.executeUpdate(changeReasonUpdate, { args: [{ reason, comment: 'about my invoice', byUserId: MEMBER }] });
        expect(changed.status).toBe('open');
        expect(ledger.only('reason_changed')).toMatchObject({ actorId: MEMBER, details: { reason, comment: 'about my invoice' } });

        await sleepUntil(request.input.dueAt + 1000);
        const breached = await ledger.awaitChange('breached');
        expectAtMoment(breached.state.breachedAt!, request.input.dueAt);
        await close(handle);
      });
    });
  });

  describe('updates', () => {
    type Ending = 'cancelled' | 'closed';
    const endBy: Record<Ending, string> = { cancelled: MEMBER, closed: OWNER };
    const ending = (handle: ChatRequestHandle, how: Ending) =>
      how === 'cancelled' ? handle.executeUpdate(cancelUpdate, { args: [{ byUserId: MEMBER }] }) : close(handle);

    /** The update was refused as TaskNotOpen, with the task as it now is (what the API answers 409 with). */
    function expectRefusedAsNotOpen(error: unknown, now: Ending) {
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (error as WorkflowUpdateFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe(TASK_NOT_OPEN);
      const [current] = (cause as ApplicationFailure).details as [TaskState];
      expect(current).toMatchObject({ status: now, endedById: endBy[now] });
    }

    test('of a member’s cancel and a care manager’s close sent at once, exactly one succeeds and the other is refused as TaskNotOpen', async () => {
      for (const sentFirst of ['cancelled', 'closed'] as const) {
        const ledger = new Ledger(env);
        const request = await newRequest();
        const sentSecond: Ending = sentFirst === 'cancelled' ? 'closed' : 'cancelled';

        const { outcomes, final } = await run(ledger, request, async (handle) => {
          await ledger.awaitChange('created');
          const [first, second] = await Promise.allSettled([ending(handle, sentFirst), ending(handle, sentSecond)]);
          return { outcomes: { [sentFirst]: first, [sentSecond]: second } as Record<Ending, PromiseSettledResult<TaskState>>, final: await handle.result() };
        });

        const won = (['cancelled', 'closed'] as const).filter((how) => outcomes[how].status === 'fulfilled');
        expect(won).toHaveLength(1);
        const [winner] = won;
        const loser: Ending = winner === 'cancelled' ? 'closed' : 'cancelled';
        const [wonWith, lostWith] = [outcomes[winner], outcomes[loser]];
        expect(wonWith.status === 'fulfilled' && wonWith.value.status).toBe(winner);
        expect(lostWith.status).toBe('rejected');
        expectRefusedAsNotOpen(lostWith.status === 'rejected' && lostWith.reason, winner);
        expect(final).toMatchObject({ status: winner, endedById: endBy[winner] });
        // The loser changed nothing: one ending stored.
        expect(ledger.kinds()).toEqual(['created', winner]);
      }
    });

    test.each([
      ['cancel', 'closed', 'cancelled'],
      ['close', 'cancelled', 'closed'],
    ] as const)('a %s sent while the other ending is still being stored is refused as TaskNotOpen', async (_name, first, second) => {
      const ledger = new Ledger(env);
      ledger.slowToStore.add(first);
      const request = await newRequest();

      const { refused, won, final } = await run(ledger, request, async (handle) => {
        await ledger.awaitChange('created');
        const won = ending(handle, first);
        for (let i = 0; i < 200 && !ledger.storing.includes(first); i++) await new Promise((resolve) => setTimeout(resolve, 10));
        // The first is decided and being stored; the second comes now.
        const when = { storing: [...ledger.storing], stored: ledger.kinds() };
        const error = await ending(handle, second).then(
          () => null,
          (refusal: unknown) => refusal,
        );
        return { refused: { error, ...when }, won: await won, final: await handle.result() };
      });

      expect(refused.storing).toEqual(['created', first]);
      expect(refused.stored).toEqual(['created']);
      expectRefusedAsNotOpen(refused.error, first);
      expect(won).toMatchObject({ status: first, endedById: endBy[first] });
      expect(final).toEqual(won);
      expect(ledger.kinds()).toEqual(['created', first]);
    });

    test('closing ends the workflow with the outcome; later updates are refused', async () => {
      const ledger = new Ledger(env);
      const request = await newRequest();

      const { closed, final, later } = await run(ledger, request, async (handle) => {
        await ledger.awaitChange('created');
        await sleepUntil(request.createdAt + 10 * MINUTE);
        const closed = await close(handle);
        const final = await handle.result();
        const description = await handle.describe();
        expect(description.status.name).toBe('COMPLETED');
        expect(description.typedSearchAttributes.get(TASK_STATUS)).toBe('closed');
        const later = await Promise.allSettled([
          handle.executeUpdate(claimUpdate, { args: [{ byUserId: COVER }] }),
          handle.executeUpdate(cancelUpdate, { args: [{ byUserId: MEMBER }] }),
        ]);
        return { closed, final, later };
      });

      expect(closed).toMatchObject({ status: 'closed', outcome: 'resolved', endedById: OWNER });
      expectAtMoment(closed.endedAt!, request.createdAt + 10 * MINUTE);
      expect(final).toEqual(closed);
      // The workflow is gone: the server answers not found, and the API answers 409 from the task's mirror.
      for (const outcome of later) expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(WorkflowNotFoundError);
      expect(ledger.kinds()).toEqual(['created', 'closed']);
      expect(ledger.only('closed')).toMatchObject({ actorId: OWNER, state: { status: 'closed', outcome: 'resolved' } });
    });
  });

  describe('away periods and the care manager', () => {
    const awayFrom = (createdAt: number, startsIn: number, endsIn: number): AwayPeriodNotice => ({
      id: 'away-1',
      userId: OWNER,
      coveredById: COVER,
      startsAt: createdAt + startsIn,
      endsAt: createdAt + endsIn,
    });

    test('an away period set meanwhile moves the task to the cover as it starts and back to the owner as it ends', async () => {
      const ledger = new Ledger(env);
      const request = await newRequest({ firstResponseMinutes: 24 * 60, escalateAfterMinutes: 48 * 60 });
      const period = awayFrom(request.createdAt, HOUR, 3 * HOUR);

      await run(ledger, request, async (handle) => {
        await ledger.awaitChange('created');
        await handle.signal(awayPeriodSetSignal, period);
        await sleepUntil(period.startsAt - 2000);
        expect((await handle.query(taskStateQuery)).assigneeId).toBe(OWNER);

        await sleepUntil(period.startsAt + 1000);
        const away = await ledger.awaitChange('reassigned');
        expectAtMoment(away.at, period.startsAt);
        expect(away.actorId).toBeNull();
        expect(away.details).toEqual({ because: 'away_period_started', awayPeriod: period });
        expect(away.state).toMatchObject({ ownerId: OWNER, assigneeId: COVER, covering: true, claimedById: null });
        const moved = await searchAttributesWhen(handle, ASSIGNEE_ID, COVER);
        expect(moved.get(ASSIGNEE_ID)).toBe(COVER);
        expect(moved.get(CONVERSATION_ID)).toBe(`chat-with-${COVER}`);
        expect(moved.get(TASK_STATUS)).toBe('open');

        await sleepUntil(period.endsAt + 1000);
        const back = await ledger.awaitChange('reassigned', 2);
        expectAtMoment(back.at, period.endsAt);
        expect(back.details).toEqual({ because: 'away_period_ended' });
        expect(back.state).toMatchObject({ ownerId: OWNER, assigneeId: OWNER, covering: false });
        expect((await searchAttributesWhen(handle, ASSIGNEE_ID, OWNER)).get(ASSIGNEE_ID)).toBe(OWNER);
        await close(handle);
      });
      expect(ledger.kinds()).toEqual(['created', 'reassigned', 'reassigned', 'closed']);
      expect(ledger.sent.map((send) => send.kind)).toEqual(['created', 'reassigned', 'reassigned']);
    });

    test('a task the cover claimed stays with them when the period ends', async () => {
      const ledger = new Ledger(env);
      const request = await newRequest({ firstResponseMinutes: 24 * 60, escalateAfterMinutes: 48 * 60 });
      const period = awayFrom(request.createdAt, HOUR, 3 * HOUR);

      await run(ledger, request, async (handle) => {
        await ledger.awaitChange('created');
        await handle.signal(awayPeriodSetSignal, period);
        await sleepUntil(period.startsAt + 1000);
        await ledger.awaitChange('reassigned');
        const claimed = await handle.executeUpdate(claimUpdate, { args: [{ byUserId: COVER }] });
        expect(claimed).toMatchObject({ assigneeId: COVER, claimedById: COVER });

        await sleepUntil(period.endsAt + HOUR);
        expect(await handle.query(taskStateQuery)).toMatchObject({ status: 'open', assigneeId: COVER, claimedById: COVER });
        await close(handle, COVER);
      });
      expect(ledger.kinds()).toEqual(['created', 'reassigned', 'claimed', 'closed']);
      expect(ledger.only('claimed').actorId).toBe(COVER);
    });

    test('a request made while the owner is away starts with the cover, covering, and returns to the owner when the period ends', async () => {
      const ledger = new Ledger(env);
      const request = await newRequest({
        firstResponseMinutes: 24 * 60,
        escalateAfterMinutes: 48 * 60,
        ownerAwayPeriods: (createdAt) => [awayFrom(createdAt, -HOUR, 2 * HOUR)],
      });
      const [period] = request.input.ownerAwayPeriods;
      expect(request.input.assigneeId).toBe(COVER);

      await run(ledger, request, async (handle) => {
        const created = await ledger.awaitChange('created');
        expect(created.state).toMatchObject({ ownerId: OWNER, assigneeId: COVER, covering: true });
        expect(created.details).toEqual({ awayPeriod: period });

        await sleepUntil(period.endsAt + 1000);
        const back = await ledger.awaitChange('reassigned');
        expectAtMoment(back.at, period.endsAt);
        expect(back.details).toEqual({ because: 'away_period_ended' });
        expect(back.state).toMatchObject({ assigneeId: OWNER, covering: false });
        await close(handle);
      });
    });

    test('a new care manager for the enrolment takes over an unclaimed task', async () => {
      const ledger = new Ledger(env);
      const request = await newRequest({ firstResponseMinutes: 24 * 60, escalateAfterMinutes: 48 * 60 });

      await run(ledger, request, async (handle) => {
        await ledger.awaitChange('created');
        await sleepUntil(request.createdAt + 20 * MINUTE);
        await handle.signal(careManagerChangedSignal, { ownerId: 'erin', awayPeriods: [], byUserId: 'admin-1' });
        const moved = await ledger.awaitChange('reassigned');
        expect(moved.actorId).toBe('admin-1');
        expect(moved.details).toEqual({ because: 'care_manager_changed' });
        expect(moved.state).toMatchObject({ ownerId: 'erin', assigneeId: 'erin', covering: false, claimedById: null });
        const attributes = await searchAttributesWhen(handle, ASSIGNEE_ID, 'erin');
        expect(attributes.get(ASSIGNEE_ID)).toBe('erin');
        expect(attributes.get(CONVERSATION_ID)).toBe('chat-with-erin');
        await close(handle, 'erin');
      });
      expect(ledger.kinds()).toEqual(['created', 'reassigned', 'closed']);
    });
  });
});
