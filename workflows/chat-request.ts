import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ASSIGNEE_ID,
  awayPeriodRemovedSignal,
  awayPeriodSetSignal,
  cancelUpdate,
  careManagerChangedSignal,
  changeReasonUpdate,
  claimUpdate,
  closeUpdate,
  CONVERSATION_ID,
  deliverAll,
  firstResponseSignal,
  periodCovering,
  PROVIDER_ACTIVITY_OPTIONS,
  reassignUpdate,
  TASK_NOT_OPEN,
  TASK_STATUS,
  taskStateQuery,
  type AwayPeriodNotice,
  type ChatRequestActivities,
  type ChatRequestInput,
  type ReassignedBecause,
  type TaskChange,
  type TaskEventKind,
  type TaskState,
} from './chat-request.contract.js';

const { recordTaskChange, recordDeliveryGaveUp } = proxyLocalActivities<ChatRequestActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
/** Each notification retries on its own with backoff (delivery-policy.ts). */
const { sendDelivery } = proxyActivities<ChatRequestActivities>(PROVIDER_ACTIVITY_OPTIONS);

/**
 * A member's chat request, as a task in a care manager's queue, from the request until the care manager
 * closes it or the member cancels it. The history is the task's audit trail: every assignment, claim,
 * reason change, response, breach and escalation is a step in it.
 *
 * - The first response is due at `dueAt`; without one by then the task is breached, and at `escalateAt`
 *   escalated to the supervisors. Changing the reason does not restart the clock.
 * - While the owner is away, an unclaimed task is with whoever covers, and returns when the period ends.
 * - Changing the reason, cancelling, claiming, reassigning and closing are updates: each is checked
 *   against the state it finds and answered only once its change is stored, so of a member's cancel and a
 *   care manager's close exactly one succeeds.
 */
export async function chatRequest(input: ChatRequestInput): Promise<TaskState> {
  const state: TaskState = {
    status: 'open',
    ownerId: input.ownerId,
    assigneeId: input.assigneeId,
    covering: input.assigneeId !== input.ownerId,
    claimedById: null,
    claimedAt: null,
    placedByHand: false,
    firstResponseAt: null,
    breachedAt: null,
    escalatedAt: null,
    outcome: null,
    endedAt: null,
    endedById: null,
    version: 0,
  };
  const awayPeriods = new Map<string, AwayPeriodNotice>(input.ownerAwayPeriods.map((period) => [period.id, period]));
  /** Something the loop below must look at again has changed. */
  let changed = false;
  /** Each change is stored after the one before it, whoever made it. */
  let stored: Promise<unknown> = Promise.resolve();
  const notifying: Array<Promise<void>> = [];

  setHandler(taskStateQuery, () => ({ ...state }));

  /** Every update is refused, before anything is written to history, once the task has ended. */
  const whileOpen = {
    validator: (_request: unknown) => {
      if (state.status !== 'open')
        throw ApplicationFailure.create({ type: TASK_NOT_OPEN, message: `the chat request is ${state.status}`, details: [{ ...state }] });
    },
  };

  setHandler(
    changeReasonUpdate,
    async ({ reason, comment, byUserId }) => {
      await record('reason_changed', byUserId, { reason, ...(comment !== undefined ? { comment } : {}) });
      return { ...state };
    },
    whileOpen,
  );

  setHandler(
    cancelUpdate,
    async ({ byUserId }) => {
      end('cancelled', byUserId);
      await record('cancelled', byUserId);
      return { ...state };
    },
    whileOpen,
  );

  setHandler(
    closeUpdate,
    async ({ outcome, byUserId }) => {
      state.outcome = outcome;
      end('closed', byUserId);
      await record('closed', byUserId);
      return { ...state };
    },
    whileOpen,
  );

  setHandler(
    claimUpdate,
    async ({ byUserId }) => {
      if (state.claimedById === byUserId) return { ...state };
      const moves = state.assigneeId !== byUserId;
      state.claimedById = byUserId;
      state.claimedAt = Date.now();
      if (moves) assignTo(byUserId);
      await record(moves ? 'reassigned' : 'claimed', byUserId, moves ? { because: 'claimed' } : {});
      return { ...state };
    },
    whileOpen,
  );

  setHandler(
    reassignUpdate,
    async ({ assigneeId, byUserId }) => {
      if (state.assigneeId === assigneeId && state.placedByHand) return { ...state };
      state.claimedById = null;
      state.claimedAt = null;
      state.placedByHand = true;
      assignTo(assigneeId);
      await record('reassigned', byUserId, { because: 'reassigned' });
      return { ...state };
    },
    whileOpen,
  );

  setHandler(firstResponseSignal, ({ at }) => {
    if (state.firstResponseAt !== null || state.status !== 'open') return;
    state.firstResponseAt = at;
    changed = true;
    void record('responded', null);
  });

  setHandler(awayPeriodSetSignal, (period) => {
    // A period of someone who no longer owns the task (the care manager changed meanwhile) is not ours.
    if (period.userId !== state.ownerId) return;
    awayPeriods.set(period.id, period);
    changed = true;
  });

  setHandler(awayPeriodRemovedSignal, ({ id }) => {
    changed = awayPeriods.delete(id) || changed;
  });

  setHandler(careManagerChangedSignal, ({ ownerId, awayPeriods: periods, byUserId }) => {
    if (state.status !== 'open' || ownerId === state.ownerId) return;
    state.ownerId = ownerId;
    state.claimedById = null;
    state.claimedAt = null;
    state.placedByHand = false;
    awayPeriods.clear();
    for (const period of periods) awayPeriods.set(period.id, period);
    const cover = periodCovering([...awayPeriods.values()], Date.now());
    assignTo(cover?.coveredById ?? ownerId);
    void record('reassigned', byUserId, { because: 'care_manager_changed', ...(cover ? { awayPeriod: cover } : {}) });
    changed = true;
  });

  const coveredAtStart = periodCovering(input.ownerAwayPeriods, Date.now());
  await record('created', null, coveredAtStart && state.covering ? { awayPeriod: coveredAtStart } : {});

  while (state.status === 'open') {
    const now = Date.now();
    if (state.firstResponseAt === null && state.breachedAt === null && now >= input.dueAt) {
      state.breachedAt = now;
      await record('breached', null);
    }
    if (state.firstResponseAt === null && state.escalatedAt === null && now >= input.escalateAt) {
      state.escalatedAt = now;
      await record('escalated', null);
    }
    await followAwayPeriods(now);
    const wakeAt = nextWake(now);
    changed = false;
    const wakes = () => changed || state.status !== 'open';
    await (wakeAt === null ? condition(wakes) : condition(wakes, Math.max(1, wakeAt - now)));
  }

  await stored;
  await Promise.all(notifying);
  await condition(allHandlersFinished);
  return { ...state };

  /** An unclaimed task the owner's cover should have, or that should return to the owner, moves now. */
  async function followAwayPeriods(now: number): Promise<void> {
    if (state.claimedById !== null || state.placedByHand) return;
    const cover = periodCovering([...awayPeriods.values()], now);
    const assigneeId = cover?.coveredById ?? state.ownerId;
    if (assigneeId === state.assigneeId) return;
    assignTo(assigneeId);
    const because: ReassignedBecause = cover ? 'away_period_started' : 'away_period_ended';
    await record('reassigned', null, { because, ...(cover ? { awayPeriod: cover } : {}) });
  }

  /** The next moment something is due: the response clock, the escalation, or an away period starting or ending. */
  function nextWake(now: number): number | null {
    const moments: number[] = [];
    if (state.firstResponseAt === null) {
      if (state.breachedAt === null) moments.push(input.dueAt);
      if (state.escalatedAt === null) moments.push(input.escalateAt);
    }
    if (state.claimedById === null && !state.placedByHand) {
      for (const period of awayPeriods.values()) moments.push(period.startsAt, period.endsAt);
    }
    const future = moments.filter((moment) => moment > now);
    return future.length ? Math.min(...future) : null;
  }

  function assignTo(assigneeId: string): void {
    state.assigneeId = assigneeId;
    state.covering = assigneeId !== state.ownerId && periodCovering([...awayPeriods.values()], Date.now())?.coveredById === assigneeId;
  }

  function end(status: 'closed' | 'cancelled', byUserId: string): void {
    state.status = status;
    state.endedAt = Date.now();
    state.endedById = byUserId;
  }

  /**
   * Stores the change (the mirror row, the event, the chat moving with the assignee) after every change
   * before it, then sends the notifications it calls for without holding anyone up.
   */
  function record(kind: TaskEventKind, actorId: string | null, details: TaskChange['details'] = {}): Promise<void> {
    state.version += 1;
    const change: TaskChange = { chatRequestId: input.chatRequestId, eventId: uuid4(), kind, actorId, state: { ...state }, details };
    const done = stored.then(async () => {
      const { chatId, notify } = await recordTaskChange(change);
      // Only what changed: each upsert is a visibility write, and most changes move neither assignee nor chat.
      const current = workflowInfo().typedSearchAttributes;
      const changed = [
        { key: ASSIGNEE_ID, value: change.state.assigneeId },
        { key: TASK_STATUS, value: change.state.status },
        { key: CONVERSATION_ID, value: chatId },
      ].filter(({ key, value }) => current.get(key) !== value);
      if (changed.length) upsertSearchAttributes(changed);
      if (notify.length) notifying.push(deliverAll(notify, { sendDelivery, recordDeliveryGaveUp }));
    });
    stored = done;
    return done;
  }
}
