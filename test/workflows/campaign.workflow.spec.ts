import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import {
  ApplicationFailure,
  defaultPayloadConverter,
  defineSearchAttributeKey,
  SearchAttributeType,
  type Duration,
  type SearchAttributePair,
} from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { campaignWorkflowStart } from '../../libs/campaigns/campaign-workflow.js';
import type { campaign } from '../../workflows/campaign.js';
import {
  CAMPAIGN_BATCH_SIZE,
  CAMPAIGN_BATCHES_IN_FLIGHT,
  CAMPAIGN_BATCHES_PER_RUN,
  CAMPAIGN_ID,
  CAMPAIGN_STATE_CONFLICT,
  campaignRescheduledSignal,
  campaignSmsTaskQueue,
  campaignStateQuery,
  cancelCampaignUpdate,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
  type CampaignActivities,
  type CampaignBatch,
  type CampaignInput,
  type CampaignPhase,
  type CampaignState,
} from '../../workflows/campaign.contract.js';
import { TIDINGS_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { recordFetchedHistory } from '../support/histories.js';
import { WORKFLOWS_PATH } from '../support/paths.js';
import { startTimeSkippingServer } from '../support/time-skipping.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ORGANIZATION = 'org-1';
const ADMIN = { byUserId: 'admin-1' };

type CampaignHandle = WorkflowHandleWithFirstExecutionRunId<typeof campaign>;

interface StartedBatch {
  fromSeq: number;
  toSeq: number;
  /** Workflow time when the workflow asked for it. */
  at: number;
  /** The run (of the continue-as-new chain) that asked for it. */
  runId: string;
  attempt: number;
  done: boolean;
  smsPaced: boolean;
}

interface SmsCall {
  throughSeq: number;
  at: number;
  runId: string;
  /** Positions up to throughSeq that were not yet in a finished batch when the call came (none, if the lane waits for its batches). */
  unfinished: number;
  sent: number;
}

/** A promise and the function that settles it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const realDelay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The campaign workflow on Temporal's time-skipping test server. The activities here stand in for
 * PostgreSQL and the providers and record what the workflow asked of them, and when (in workflow time);
 * a batch can be held in flight until the test lets it finish.
 */
class Ledger {
  audienceSize = 60_500;
  /** Whether the campaign sends SMS (what its snapshot says). */
  sms = false;
  /** Which positions have a phone number (and so a text to send). */
  phone: (seq: number) => boolean = () => true;
  smsCalls: SmsCall[] = [];
  /** How many texts each position got. */
  texts = new Map<number, number>();
  /** Which SMS calls are held until released (none by default). */
  smsHolds: (call: number) => boolean = () => false;
  private readonly heldSms: Array<() => void> = [];
  snapshots: Array<{ campaignId: string; at: number }> = [];
  batches: StartedBatch[] = [];
  statuses: Array<{ status: CampaignPhase; at: number }> = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Which batches are held in flight until released (none by default). */
  holds: (batch: CampaignBatch) => boolean = () => false;
  /** Statuses whose recording is held until released (none by default). */
  statusHolds = new Set<CampaignPhase>();
  /** Statuses the workflow has begun to record (`statuses` holds those recorded). */
  recording: CampaignPhase[] = [];
  private readonly heldStatuses: Array<() => void> = [];
  /** Real milliseconds each batch not held takes: long enough for the lanes to overlap. */
  batchMs = 2;
  /** When the sends held by quiet hours fall due (epoch ms), and the calls that delivered them. */
  heldUntil: number[] = [];
  deferredCalls: Array<{ at: number; sent: number }> = [];
  private readonly held: Array<() => void> = [];

  constructor(private readonly env: TestWorkflowEnvironment) {}

  now() {
    return this.env.currentTimeMs();
  }

  activities(): CampaignActivities {
    return {
      snapshotAudience: async (campaignId) => {
        this.snapshots.push({ campaignId, at: await this.now() });
        return { audienceSize: this.audienceSize, sms: this.sms };
      },
      deliverCampaignBatch: async (batch) => {
        const { info } = Context.current();
        const started: StartedBatch = {
          fromSeq: batch.fromSeq,
          toSeq: batch.toSeq,
          at: await this.now(),
          runId: info.workflowExecution!.runId,
          attempt: info.attempt,
          done: false,
          smsPaced: batch.smsPaced === true,
        };
        this.batches.push(started);
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          if (this.holds(batch)) {
            const { opened, open } = gate();
            this.held.push(open);
            await opened;
          } else {
            await realDelay(this.batchMs);
          }
        } finally {
          this.inFlight -= 1;
          started.done = true;
        }
        const recipients = Math.max(0, Math.min(batch.toSeq, this.audienceSize) - batch.fromSeq + 1);
        return { recipients, sent: recipients };
      },
      deliverDeferredCampaignSends: async () => {
        const at = await this.now();
        const due = this.heldUntil.filter((moment) => moment <= at);
        this.heldUntil = this.heldUntil.filter((moment) => moment > at);
        this.deferredCalls.push({ at, sent: due.length });
        return { sent: due.length, more: false, nextAt: this.heldUntil.length ? Math.min(...this.heldUntil) : null };
      },
      sendCampaignSms: async ({ afterSeq, throughSeq, stripe, stripes }) => {
        const { info } = Context.current();
        const call: SmsCall = { throughSeq, at: await this.now(), runId: info.workflowExecution!.runId, unfinished: 0, sent: 0 };
        const finished = new Set(this.batches.filter((batch) => batch.done).flatMap((batch) => range(batch.fromSeq, batch.toSeq)));
        call.unfinished = range(1, Math.min(throughSeq, this.audienceSize)).filter((seq) => !finished.has(seq)).length;
        this.smsCalls.push(call);
        if (this.smsHolds(this.smsCalls.length)) {
          const { opened, open } = gate();
          this.heldSms.push(open);
          await opened;
        }
        const due = range(afterSeq + 1, Math.min(throughSeq, this.audienceSize)).filter(
          (seq) => seq % stripes === stripe && this.phone(seq) && !this.texts.has(seq),
        );
        if (due.length === 0) return { sent: 0, more: false, lastSeq: afterSeq };
        this.texts.set(due[0], (this.texts.get(due[0]) ?? 0) + 1);
        call.sent = 1;
        return { sent: 1, more: due.length > 1, lastSeq: due[0] };
      },
      recordCampaignStatus: async (_campaignId, status) => {
        this.recording.push(status);
        if (this.statusHolds.has(status)) {
          const { opened, open } = gate();
          this.heldStatuses.push(open);
          await opened;
        }
        this.statuses.push({ status, at: await this.now() });
      },
    };
  }

  /** Lets every held batch finish, and holds no more. */
  releaseAll() {
    this.holds = () => false;
    for (const open of this.held.splice(0)) open();
    this.releaseSms();
    this.releaseStatuses();
  }

  /** Lets every held status be recorded, and holds no more. */
  releaseStatuses() {
    this.statusHolds.clear();
    for (const open of this.heldStatuses.splice(0)) open();
  }

  /** Lets the longest-held batch finish. */
  releaseOne() {
    this.held.shift()?.();
  }

  /** Lets held SMS calls finish, and holds no more. */
  releaseSms() {
    this.smsHolds = () => false;
    for (const open of this.heldSms.splice(0)) open();
  }

  heldCount() {
    return this.held.length;
  }

  /** The campaign's status as PostgreSQL holds it: the last one written. */
  mirror(): CampaignPhase | undefined {
    return this.statuses[this.statuses.length - 1]?.status;
  }

  statusNames() {
    return this.statuses.map((entry) => entry.status);
  }

  /** Waits (real time; workflow time is not moved) until `what` holds. */
  async until(what: string, predicate: () => boolean, ms = 10_000): Promise<void> {
    for (const started = Date.now(); !predicate(); await realDelay(10)) {
      if (Date.now() - started > ms)
        throw new Error(`never: ${what} (batches started: ${this.batches.length}, statuses: ${JSON.stringify(this.statusNames())})`);
    }
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** `at` is the moment itself, give or take the real milliseconds the server and worker take: never before it. */
function expectAtMoment(at: number, moment: number) {
  expect(at).toBeGreaterThanOrEqual(moment);
  expect(at - moment).toBeLessThan(1000);
}

/** Every position firstSeq..audienceSize in exactly one batch of CAMPAIGN_BATCH_SIZE: no gap, no overlap, none past the end, none retried. */
function expectEachPositionOnce(batches: StartedBatch[], audienceSize: number, firstSeq = 1) {
  const sorted = [...batches].sort((a, b) => a.fromSeq - b.fromSeq);
  expect(sorted.length).toBe(Math.ceil((audienceSize - firstSeq + 1) / CAMPAIGN_BATCH_SIZE));
  expect(sorted[0].fromSeq).toBe(firstSeq);
  sorted.forEach((batch, i) => {
    expect(batch.toSeq - batch.fromSeq + 1).toBe(CAMPAIGN_BATCH_SIZE);
    if (i > 0) expect(batch.fromSeq).toBe(sorted[i - 1].toSeq + 1);
    expect(batch.attempt).toBe(1);
    expect(batch.done).toBe(true);
  });
  const last = sorted[sorted.length - 1];
  expect(last.fromSeq).toBeLessThanOrEqual(audienceSize);
  expect(last.toSeq).toBeGreaterThanOrEqual(audienceSize);
}

/** The update was refused as CampaignStateConflict, with the campaign as it is (what the API answers 409 with). */
async function expectConflict(update: Promise<unknown>, now: Partial<CampaignState>) {
  const error = await update.then(
    () => null,
    (refusal: unknown) => refusal,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe(CAMPAIGN_STATE_CONFLICT);
  const [current] = (cause as ApplicationFailure).details as [CampaignState];
  expect(current).toMatchObject(now);
}

interface Run {
  runId: string;
  input: CampaignInput;
  events: number;
  /** Bytes of the run's history as JSON. */
  size: number;
  closedWith: string;
  next: string | null;
}

describe('campaign workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startTimeSkippingServer(TIDINGS_SEARCH_ATTRIBUTES);
  }, 60_000);

  afterAll(async () => {
    await env?.teardown();
  });

  let counter = 0;

  /**
   * Starts a campaign's workflow as the API does (its start, its search attributes) with the ledger's
   * activities while `during` drives it; terminated afterwards if `during` left it running.
   */
  async function run<T>(
    ledger: Ledger,
    options: { deliverAt: number; progress?: CampaignInput['progress']; workflowTaskTimeout?: Duration },
    during: (handle: CampaignHandle, campaignId: string) => Promise<T>,
  ): Promise<T> {
    const campaignId = `campaign-${++counter}`;
    const start = campaignWorkflowStart({ id: campaignId, organizationId: ORGANIZATION, deliverAt: new Date(options.deliverAt) });
    const [input] = start.args as [CampaignInput];
    const taskQueue = `wf-test-${start.workflowId}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities: ledger.activities() });
    const smsWorker = await Worker.create({ connection: env.nativeConnection, taskQueue: campaignSmsTaskQueue(taskQueue), activities: ledger.activities() });
    return smsWorker.runUntil(
      worker.runUntil(async () => {
        const handle = await env.client.workflow.start<typeof campaign>('campaign', {
          taskQueue,
          workflowId: start.workflowId,
          args: [options.progress ? { ...input, progress: options.progress } : input],
          workflowTaskTimeout: options.workflowTaskTimeout,
          typedSearchAttributes: Object.entries(start.searchAttributes).map(([name, value]): SearchAttributePair => ({
            key: defineSearchAttributeKey(name, SearchAttributeType.KEYWORD),
            value,
          })),
        });
        try {
          return await during(handle, campaignId);
        } finally {
          // Held batches finish before the workflow is terminated: the test server stops skipping time while an activity is out.
          ledger.releaseAll();
          await ledger.until('the batches in flight finished', () => ledger.inFlight === 0).catch(() => undefined);
          if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test over');
        }
      }),
    );
  }

  /** Moves workflow time on to `moment` (epoch ms) exactly, or as near as the server's own clock lets it. */
  async function sleepUntil(moment: number) {
    const ms = moment - (await env.currentTimeMs());
    if (ms > 0) await env.sleep(ms);
  }

  /** Each run of the workflow's continue-as-new chain, first to last, from their histories. */
  async function runsOf(handle: CampaignHandle): Promise<Run[]> {
    const runs: Run[] = [];
    for (let runId: string | null = handle.firstExecutionRunId; runId; runId = runs[runs.length - 1].next) {
      const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      const events = history.events ?? [];
      const started = events[0].workflowExecutionStartedEventAttributes!;
      const last = events[events.length - 1];
      runs.push({
        runId,
        input: defaultPayloadConverter.fromPayload(started.input!.payloads![0]),
        events: events.length,
        size: JSON.stringify(history).length,
        closedWith: Object.keys(last).find((key) => key.startsWith('workflowExecution') && key.endsWith('EventAttributes')) ?? '',
        next: last.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null,
      });
    }
    return runs;
  }

  const pause = (handle: CampaignHandle) => handle.executeUpdate(pauseCampaignUpdate, { args: [ADMIN] });
  const resume = (handle: CampaignHandle) => handle.executeUpdate(resumeCampaignUpdate, { args: [ADMIN] });
  const cancel = (handle: CampaignHandle) => handle.executeUpdate(cancelCampaignUpdate, { args: [ADMIN] });

  describe('delivery', () => {
    test('sleeps until the delivery time, then delivers every position once in batches, continuing as new with only its position', async () => {
      const ledger = new Ledger(env);
      const deliverAt = (await env.currentTimeMs()) + 3 * HOUR;

      const { final, runs, attributes, campaignId } = await run(ledger, { deliverAt }, async (handle, campaignId) => {
        await sleepUntil(deliverAt - 2000);
        expect(await handle.query(campaignStateQuery)).toEqual({ status: 'scheduled', deliverAt, audienceSize: null, nextSeq: 1 });
        expect(ledger.snapshots).toEqual([]);
        expect(ledger.batches).toEqual([]);
        expect(ledger.statuses).toEqual([]);

        const final = await handle.result();
        return { final, runs: await runsOf(handle), attributes: (await handle.describe()).typedSearchAttributes, campaignId };
      });

      // The audience is taken at the delivery time, once, and the campaign is running from then.
      expect(ledger.snapshots).toHaveLength(1);
      expect(ledger.snapshots[0].campaignId).toBe(campaignId);
      expectAtMoment(ledger.snapshots[0].at, deliverAt);
      expect(ledger.statusNames()).toEqual(['running', 'completed']);
      expectAtMoment(ledger.statuses[0].at, deliverAt);
      for (const batch of ledger.batches) expect(batch.at).toBeGreaterThanOrEqual(deliverAt);

      expectEachPositionOnce(ledger.batches, ledger.audienceSize);
      expect(final).toEqual({ status: 'completed', deliverAt, audienceSize: ledger.audienceSize, nextSeq: 61 * CAMPAIGN_BATCH_SIZE + 1 });

      // 61 batches: runs of 25, 25 and 11, each continuing from where the one before stopped.
      const batchesPerRun = CAMPAIGN_BATCHES_PER_RUN * CAMPAIGN_BATCH_SIZE;
      expect(runs).toHaveLength(Math.ceil(61 / CAMPAIGN_BATCHES_PER_RUN));
      expect(runs.map((r) => r.closedWith)).toEqual([
        'workflowExecutionContinuedAsNewEventAttributes',
        'workflowExecutionContinuedAsNewEventAttributes',
        'workflowExecutionCompletedEventAttributes',
      ]);
      runs.forEach((r, i) => {
        const fromSeqs = ledger.batches
          .filter((batch) => batch.runId === r.runId)
          .map((batch) => batch.fromSeq)
          .sort((a, b) => a - b);
        const firstSeq = i * batchesPerRun + 1;
        expect(fromSeqs[0]).toBe(firstSeq);
        expect(fromSeqs[fromSeqs.length - 1]).toBe(Math.min((i + 1) * batchesPerRun, 61 * CAMPAIGN_BATCH_SIZE) - CAMPAIGN_BATCH_SIZE + 1);
        // Its input is the campaign and the position: no recipient, no list of what was sent.
        if (i === 0) expect(r.input).toEqual({ campaignId, deliverAt });
        else expect(r.input).toEqual({ campaignId, deliverAt, progress: { audienceSize: ledger.audienceSize, nextSeq: firstSeq, paused: false } });
        // A run's history stays the same small size at any audience size.
        expect(r.events).toBeLessThan(500);
        expect(r.size).toBeLessThan(200_000);
      });
      // The later runs are still found by the campaign's search attributes.
      expect(attributes.get(CAMPAIGN_ID)).toBe(campaignId);
    });

    test(`never more than ${CAMPAIGN_BATCHES_IN_FLIGHT} batches in flight: the next starts as one finishes`, async () => {
      const ledger = new Ledger(env);
      ledger.audienceSize = 30_000;
      ledger.holds = () => true;

      const final = await run(ledger, { deliverAt: await env.currentTimeMs() }, async (handle) => {
        await ledger.until('4 batches in flight', () => ledger.heldCount() === CAMPAIGN_BATCHES_IN_FLIGHT);
        await realDelay(500);
        expect(ledger.batches).toHaveLength(CAMPAIGN_BATCHES_IN_FLIGHT);
        expect(ledger.batches.map((batch) => batch.fromSeq).sort((a, b) => a - b)).toEqual([1, 1001, 2001, 3001]);

        // One finishes: exactly one more starts.
        ledger.releaseOne();
        await ledger.until('a fifth batch', () => ledger.batches.length === CAMPAIGN_BATCHES_IN_FLIGHT + 1);
        await realDelay(500);
        expect(ledger.batches).toHaveLength(CAMPAIGN_BATCHES_IN_FLIGHT + 1);
        expect(ledger.inFlight).toBe(CAMPAIGN_BATCHES_IN_FLIGHT);

        // The rest (across a continue-as-new), each taking a few real milliseconds so the lanes overlap.
        ledger.batchMs = 20;
        ledger.releaseAll();
        return handle.result();
      });

      expect(final.status).toBe('completed');
      expectEachPositionOnce(ledger.batches, 30_000);
      expect(ledger.maxInFlight).toBe(CAMPAIGN_BATCHES_IN_FLIGHT);
    });
  });

  describe('pause and resume', () => {
    test('pause lets the batches in flight finish and starts no more; resume goes on from the next position to the end', async () => {
      const ledger = new Ledger(env);
      ledger.audienceSize = 12_500;
      ledger.holds = () => true;

      const { paused, whilePaused, resumedAt, resumed, final } = await run(ledger, { deliverAt: await env.currentTimeMs() }, async (handle) => {
        await ledger.until('4 batches in flight', () => ledger.heldCount() === CAMPAIGN_BATCHES_IN_FLIGHT);
        const paused = await pause(handle);
        ledger.releaseAll();
        await ledger.until('the batches in flight finished', () => ledger.batches.every((batch) => batch.done));
        await realDelay(500);
        await env.sleep(6 * HOUR);
        const whilePaused = { started: ledger.batches.length, state: await handle.query(campaignStateQuery), statuses: ledger.statusNames() };

        const resumedAt = await env.currentTimeMs();
        const resumed = await resume(handle);
        const final = await handle.result();
        await recordFetchedHistory(handle, 'campaign-paused-resumed-completed');
        return { paused, whilePaused, resumedAt, resumed, final };
      });

      expect(paused).toMatchObject({ status: 'paused', nextSeq: 4001 });
      // Nothing new started while paused, however long it was.
      expect(whilePaused.started).toBe(CAMPAIGN_BATCHES_IN_FLIGHT);
      expect(whilePaused.state).toMatchObject({ status: 'paused', audienceSize: 12_500, nextSeq: 4001 });
      expect(whilePaused.statuses).toEqual(['running', 'paused']);

      expect(resumed.status).toBe('running');
      const afterResume = ledger.batches.slice(CAMPAIGN_BATCHES_IN_FLIGHT);
      expect(Math.min(...afterResume.map((batch) => batch.fromSeq))).toBe(4001);
      for (const batch of afterResume) expect(batch.at).toBeGreaterThanOrEqual(resumedAt);
      expectEachPositionOnce(ledger.batches, 12_500);
      expect(ledger.statusNames()).toEqual(['running', 'paused', 'running', 'completed']);
      expect(final).toMatchObject({ status: 'completed', nextSeq: 13_001 });
      expect(ledger.snapshots).toHaveLength(1);
    });

    test('a pause as a run reaches its last batch holds the campaign; resume goes on in the next run from where it stopped', async () => {
      const ledger = new Ledger(env);
      const lastOfRun = (CAMPAIGN_BATCHES_PER_RUN - 1) * CAMPAIGN_BATCH_SIZE + 1;
      // The last batches of the first run are held in flight.
      ledger.holds = (batch) => batch.fromSeq > lastOfRun - CAMPAIGN_BATCHES_IN_FLIGHT * CAMPAIGN_BATCH_SIZE;

      const { whilePaused, resumedAt, final, runs } = await run(ledger, { deliverAt: await env.currentTimeMs() }, async (handle) => {
        await ledger.until('the last batches of the run in flight', () => ledger.heldCount() === CAMPAIGN_BATCHES_IN_FLIGHT);
        expect(Math.max(...ledger.batches.map((batch) => batch.fromSeq))).toBe(lastOfRun);
        await pause(handle);
        ledger.releaseAll();
        await ledger.until('the batches in flight finished', () => ledger.batches.every((batch) => batch.done));
        await realDelay(500);
        await env.sleep(2 * HOUR);
        const whilePaused = { started: ledger.batches.length, state: await handle.query(campaignStateQuery) };

        const resumedAt = await env.currentTimeMs();
        await resume(handle);
        const final = await handle.result();
        return { whilePaused, resumedAt, final, runs: await runsOf(handle) };
      });

      expect(whilePaused.started).toBe(CAMPAIGN_BATCHES_PER_RUN);
      expect(whilePaused.state).toMatchObject({ status: 'paused', nextSeq: CAMPAIGN_BATCHES_PER_RUN * CAMPAIGN_BATCH_SIZE + 1 });
      const afterResume = ledger.batches.slice(CAMPAIGN_BATCHES_PER_RUN);
      expect(Math.min(...afterResume.map((batch) => batch.fromSeq))).toBe(CAMPAIGN_BATCHES_PER_RUN * CAMPAIGN_BATCH_SIZE + 1);
      for (const batch of afterResume) expect(batch.at).toBeGreaterThanOrEqual(resumedAt);
      expectEachPositionOnce(ledger.batches, ledger.audienceSize);
      expect(runs).toHaveLength(3);
      expect(ledger.statusNames()).toEqual(['running', 'paused', 'running', 'completed']);
      expect(final.status).toBe('completed');
    });

    test('a pause that comes as a resumed run ends is carried: the next run starts paused, and resume goes on from its position', async () => {
      const ledger = new Ledger(env);
      const lastOfRun = (CAMPAIGN_BATCHES_PER_RUN - 1) * CAMPAIGN_BATCH_SIZE + 1;
      const nextRunSeq = CAMPAIGN_BATCHES_PER_RUN * CAMPAIGN_BATCH_SIZE + 1;
      ledger.holds = (batch) => batch.fromSeq > lastOfRun - CAMPAIGN_BATCHES_IN_FLIGHT * CAMPAIGN_BATCH_SIZE;
      // A short workflow task timeout: a status slow to record heartbeats its task within a second or two, so an update can come meanwhile.
      const options = { deliverAt: await env.currentTimeMs(), workflowTaskTimeout: '2 seconds' as Duration };

      const { whilePaused, runs, final } = await run(ledger, options, async (handle) => {
        await ledger.until('the last batches of the run in flight', () => ledger.heldCount() === CAMPAIGN_BATCHES_IN_FLIGHT);
        await pause(handle);
        ledger.releaseAll();
        await ledger.until('the batches in flight finished', () => ledger.batches.every((batch) => batch.done));
        // Resumed with the run's batches done: the run continues as new once the resume is recorded, which takes a while.
        ledger.statusHolds.add('running');
        const resumed = await handle.startUpdate(resumeCampaignUpdate, { args: [ADMIN], waitForStage: WorkflowUpdateStage.ACCEPTED });
        // Meanwhile, a pause.
        const paused = await handle.startUpdate(pauseCampaignUpdate, { args: [ADMIN], waitForStage: WorkflowUpdateStage.ACCEPTED });
        ledger.releaseStatuses();
        await resumed.result();
        expect(await paused.result()).toMatchObject({ status: 'paused', nextSeq: nextRunSeq });
        // The run continues as new once both are recorded (a moment later, in real time).
        for (let i = 0; i < 100 && (await runsOf(handle)).length < 2; i++) await realDelay(20);
        await env.sleep(2 * HOUR);
        const whilePaused = {
          started: ledger.batches.length,
          state: await handle.query(campaignStateQuery),
          runs: await runsOf(handle),
          mirror: ledger.mirror(),
        };
        await resume(handle);
        return { whilePaused, final: await handle.result(), runs: await runsOf(handle) };
      });

      expect(whilePaused.runs).toHaveLength(2);
      expect(whilePaused.runs[1].input).toMatchObject({ progress: { audienceSize: ledger.audienceSize, nextSeq: nextRunSeq, paused: true } });
      expect(whilePaused.started).toBe(CAMPAIGN_BATCHES_PER_RUN);
      expect(whilePaused.state).toMatchObject({ status: 'paused', nextSeq: nextRunSeq });
      // The database says so too: the resume, slow to record, did not land over the pause.
      expect(whilePaused.mirror).toBe('paused');
      expectEachPositionOnce(ledger.batches, ledger.audienceSize);
      for (const batch of ledger.batches.slice(CAMPAIGN_BATCHES_PER_RUN)) expect(batch.runId).not.toBe(whilePaused.runs[0].runId);
      expect(runs).toHaveLength(3);
      // A status is recorded again if its workflow task is retried (the real write is idempotent).
      expect(ledger.statusNames()).toEqual(['running', 'paused', 'running', 'paused', 'running', 'completed']);
      expect(final.status).toBe('completed');
    });

    test('paused before the delivery time: nothing is taken at the delivery time; resumed later, the audience is taken then', async () => {
      const ledger = new Ledger(env);
      ledger.audienceSize = 2500;
      const deliverAt = (await env.currentTimeMs()) + 2 * HOUR;

      const { whilePaused, resumedAt, final } = await run(ledger, { deliverAt }, async (handle) => {
        await sleepUntil(deliverAt - HOUR);
        expect(await pause(handle)).toMatchObject({ status: 'paused', audienceSize: null });
        await sleepUntil(deliverAt + HOUR);
        const whilePaused = { snapshots: ledger.snapshots.length, started: ledger.batches.length, state: await handle.query(campaignStateQuery) };
        const resumedAt = await env.currentTimeMs();
        expect(await resume(handle)).toMatchObject({ status: 'scheduled' });
        return { whilePaused, resumedAt, final: await handle.result() };
      });

      expect(whilePaused).toEqual({ snapshots: 0, started: 0, state: { status: 'paused', deliverAt, audienceSize: null, nextSeq: 1 } });
      expect(ledger.snapshots).toHaveLength(1);
      expectAtMoment(ledger.snapshots[0].at, resumedAt);
      expectEachPositionOnce(ledger.batches, 2500);
      expect(ledger.statusNames()).toEqual(['paused', 'scheduled', 'running', 'completed']);
      expect(final.status).toBe('completed');
    });

    test('a run that continued as new while paused starts paused, sends nothing, and resumes from its position', async () => {
      const ledger = new Ledger(env);
      const nextSeq = CAMPAIGN_BATCHES_PER_RUN * CAMPAIGN_BATCH_SIZE + 1;
      const progress = { audienceSize: ledger.audienceSize, nextSeq, paused: true };

      const { whilePaused, final } = await run(ledger, { deliverAt: (await env.currentTimeMs()) - HOUR, progress }, async (handle) => {
        await realDelay(500);
        await env.sleep(2 * HOUR);
        const whilePaused = { started: ledger.batches.length, state: await handle.query(campaignStateQuery) };
        await resume(handle);
        return { whilePaused, final: await handle.result() };
      });

      expect(whilePaused.started).toBe(0);
      expect(whilePaused.state).toMatchObject({ status: 'paused', audienceSize: ledger.audienceSize, nextSeq });
      // The audience was taken by the first run: never again.
      expect(ledger.snapshots).toEqual([]);
      expectEachPositionOnce(ledger.batches, ledger.audienceSize, nextSeq);
      expect(ledger.statusNames()).toEqual(['running', 'completed']);
      expect(final.status).toBe('completed');
    });
  });

  describe('cancel', () => {
    test('mid-run: the batches in flight finish, no new batch starts, and the workflow completes as cancelled', async () => {
      const ledger = new Ledger(env);
      ledger.holds = (batch) => batch.fromSeq > 8 * CAMPAIGN_BATCH_SIZE;

      const { cancelled, final, description } = await run(ledger, { deliverAt: await env.currentTimeMs() }, async (handle) => {
        await ledger.until('4 batches in flight', () => ledger.heldCount() === CAMPAIGN_BATCHES_IN_FLIGHT);
        const cancelled = await cancel(handle);
        ledger.releaseAll();
        const final = await handle.result();
        await realDelay(500);
        return { cancelled, final, description: await handle.describe() };
      });

      expect(cancelled).toMatchObject({ status: 'cancelled', nextSeq: 12 * CAMPAIGN_BATCH_SIZE + 1 });
      expect(ledger.batches).toHaveLength(12);
      expect(ledger.batches.every((batch) => batch.done)).toBe(true);
      expect(final).toMatchObject({ status: 'cancelled', nextSeq: 12 * CAMPAIGN_BATCH_SIZE + 1 });
      expect(description.status.name).toBe('COMPLETED');
      expect(ledger.statusNames()).toEqual(['running', 'cancelled']);
    });

    test('while its pause is still being recorded: the database ends up cancelled too, not paused', async () => {
      const ledger = new Ledger(env);
      ledger.holds = () => true;
      // A short workflow task timeout: a status slow to record heartbeats its task within a second or two, so an update can come meanwhile.
      const options = { deliverAt: await env.currentTimeMs(), workflowTaskTimeout: '2 seconds' as Duration };

      const final = await run(ledger, options, async (handle) => {
        await ledger.until('4 batches in flight', () => ledger.heldCount() === CAMPAIGN_BATCHES_IN_FLIGHT);
        ledger.statusHolds.add('paused');
        const paused = await handle.startUpdate(pauseCampaignUpdate, { args: [ADMIN], waitForStage: WorkflowUpdateStage.ACCEPTED });
        const cancelled = await handle.startUpdate(cancelCampaignUpdate, { args: [ADMIN], waitForStage: WorkflowUpdateStage.ACCEPTED });
        await realDelay(300);
        ledger.releaseAll();
        await paused.result();
        expect(await cancelled.result()).toMatchObject({ status: 'cancelled' });
        return handle.result();
      });

      expect(final.status).toBe('cancelled');
      expect(ledger.batches).toHaveLength(CAMPAIGN_BATCHES_IN_FLIGHT);
      expect(ledger.statusNames()).toEqual(['running', 'paused', 'cancelled']);
      expect(ledger.mirror()).toBe('cancelled');
    });

    test('before the delivery time: the audience is never taken and nothing is sent', async () => {
      const ledger = new Ledger(env);
      const deliverAt = (await env.currentTimeMs()) + 3 * HOUR;

      const final = await run(ledger, { deliverAt }, async (handle) => {
        await sleepUntil(deliverAt - HOUR);
        const cancelled = await cancel(handle);
        expect(cancelled.status).toBe('cancelled');
        const final = await handle.result();
        await sleepUntil(deliverAt + HOUR);
        return final;
      });

      expect(final).toEqual({ status: 'cancelled', deliverAt, audienceSize: null, nextSeq: 1 });
      expect(ledger.snapshots).toEqual([]);
      expect(ledger.batches).toEqual([]);
      expect(ledger.statusNames()).toEqual(['cancelled']);
      expectAtMoment(ledger.statuses[0].at, deliverAt - HOUR);
    });
  });

  describe('updates that make no sense', () => {
    test('are refused as CampaignStateConflict and change nothing: resume while scheduled or running, pause while paused, pause or resume after cancel', async () => {
      const ledger = new Ledger(env);
      ledger.holds = () => true;
      const deliverAt = (await env.currentTimeMs()) + HOUR;

      const final = await run(ledger, { deliverAt }, async (handle) => {
        await expectConflict(resume(handle), { status: 'scheduled' });
        await sleepUntil(deliverAt);
        await ledger.until('4 batches in flight', () => ledger.heldCount() === CAMPAIGN_BATCHES_IN_FLIGHT);
        await expectConflict(resume(handle), { status: 'running', nextSeq: 4001 });
        await pause(handle);
        await expectConflict(pause(handle), { status: 'paused' });
        await cancel(handle);
        // The batches in flight have not finished: the workflow is still there to refuse.
        await expectConflict(pause(handle), { status: 'cancelled' });
        await expectConflict(resume(handle), { status: 'cancelled' });
        await expectConflict(cancel(handle), { status: 'cancelled' });
        ledger.releaseAll();
        return handle.result();
      });

      expect(final.status).toBe('cancelled');
      expect(ledger.batches).toHaveLength(CAMPAIGN_BATCHES_IN_FLIGHT);
      expect(ledger.statusNames()).toEqual(['running', 'paused', 'cancelled']);
    });

    test('after completion the workflow is closed: every update is answered not found', async () => {
      const ledger = new Ledger(env);
      ledger.audienceSize = 1500;

      const { final, later } = await run(ledger, { deliverAt: await env.currentTimeMs() }, async (handle) => {
        const final = await handle.result();
        const later = await Promise.allSettled([pause(handle), resume(handle), cancel(handle)]);
        return { final, later };
      });

      expect(final.status).toBe('completed');
      for (const outcome of later) expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(WorkflowNotFoundError);
      expect(ledger.statusNames()).toEqual(['running', 'completed']);
    });
  });

  describe('rescheduling', () => {
    test.each([
      ['later', 2 * HOUR, 5 * HOUR],
      ['earlier', 5 * HOUR, 2 * HOUR],
    ])('before the start, moved %s: the audience is taken at the new time, not the old one', async (_name, first, second) => {
      const ledger = new Ledger(env);
      ledger.audienceSize = 1500;
      const now = await env.currentTimeMs();
      const [deliverAt, movedTo] = [now + first, now + second];

      const { state, final } = await run(ledger, { deliverAt }, async (handle) => {
        await sleepUntil(now + MINUTE);
        await handle.signal(campaignRescheduledSignal, { deliverAt: movedTo });
        const state = await handle.query(campaignStateQuery);
        if (movedTo > deliverAt) {
          await sleepUntil(deliverAt + MINUTE);
          expect(ledger.snapshots).toEqual([]);
        }
        await sleepUntil(movedTo - 2000);
        expect(ledger.snapshots).toEqual([]);
        return { state, final: await handle.result() };
      });

      expect(state).toMatchObject({ status: 'scheduled', deliverAt: movedTo });
      expect(ledger.snapshots).toHaveLength(1);
      expectAtMoment(ledger.snapshots[0].at, movedTo);
      for (const batch of ledger.batches) expect(batch.at).toBeGreaterThanOrEqual(movedTo);
      expect(final).toMatchObject({ status: 'completed', deliverAt: movedTo });
    });
  });

  describe('SMS at the provider pace', () => {
    test('the texts follow the finished batches on a lane of their own; the batches never wait for them; runs carry both positions', async () => {
      const ledger = new Ledger(env);
      ledger.sms = true;
      ledger.audienceSize = 26_500;
      ledger.phone = (seq) => seq % 100 === 7;
      const deliverAt = (await env.currentTimeMs()) + MINUTE;

      const final = await run(ledger, { deliverAt }, async (handle) => {
        const final = await handle.result();
        const runs = await runsOf(handle);
        expect(runs.length).toBe(2);
        // Each continued run carries where the texts stand, and that they are sent apart from the batches.
        for (const next of runs.slice(1)) expect(next.input.progress).toMatchObject({ sms: true, smsThrough: expect.any(Number) });
        return final;
      });

      expect(final).toMatchObject({ status: 'completed', audienceSize: ledger.audienceSize });
      expectEachPositionOnce(ledger.batches, ledger.audienceSize);
      expect(ledger.batches.every((batch) => batch.smsPaced)).toBe(true);
      // Every recipient texted exactly once, never before their batch had finished.
      expect([...ledger.texts.keys()].sort((a, b) => a - b)).toEqual(range(1, ledger.audienceSize).filter(ledger.phone));
      expect([...ledger.texts.values()].every((count) => count === 1)).toBe(true);
      expect(ledger.smsCalls.every((call) => call.unfinished === 0)).toBe(true);
      // The message center and email did not wait for the texts: batches went on while texts were behind.
      const lastBatchStart = Math.max(...ledger.batches.map((batch) => batch.at));
      expect(ledger.smsCalls.filter((call) => call.at >= lastBatchStart).length).toBeGreaterThan(0);
    });

    test('pause holds the texts back too; resume sends the rest, each once', async () => {
      const ledger = new Ledger(env);
      ledger.sms = true;
      ledger.audienceSize = 3000;
      ledger.phone = (seq) => seq % 30 === 0;
      ledger.smsHolds = (call) => call === 2;
      const deliverAt = (await env.currentTimeMs()) + MINUTE;

      const final = await run(ledger, { deliverAt }, async (handle) => {
        await sleepUntil(deliverAt);
        await ledger.until('the second SMS call is out', () => ledger.smsCalls.length >= 2);
        await pause(handle);
        ledger.releaseSms();
        // The calls already out when the pause came finish; no lane starts another.
        await realDelay(500);
        const callsWhenPaused = ledger.smsCalls.length;
        await env.sleep(10 * MINUTE);
        await realDelay(300);
        expect(ledger.smsCalls.length).toBe(callsWhenPaused);
        expect(ledger.texts.size).toBeLessThan(100);
        await resume(handle);
        const final = await handle.result();
        await recordFetchedHistory(handle, 'campaign-sms-paused-resumed-completed');
        return final;
      });

      expect(final.status).toBe('completed');
      expect(ledger.texts.size).toBe(100);
      expect([...ledger.texts.values()].every((count) => count === 1)).toBe(true);
    });

    test('a run continued from before the pacing sends its texts inside its batches, as it did', async () => {
      const ledger = new Ledger(env);
      ledger.sms = true;
      ledger.audienceSize = 3000;
      const deliverAt = (await env.currentTimeMs()) - MINUTE;

      const final = await run(ledger, { deliverAt, progress: { audienceSize: 3000, nextSeq: 1001, paused: false } }, (handle) => handle.result());

      expect(final.status).toBe('completed');
      expect(ledger.batches.map((batch) => [batch.fromSeq, batch.smsPaced]).sort(([a], [b]) => Number(a) - Number(b))).toEqual([
        [1001, false],
        [2001, false],
      ]);
      expect(ledger.smsCalls).toEqual([]);
    });
  });

  describe('quiet hours', () => {
    test('sends held by quiet hours go out as each window ends, and only then is the campaign complete', async () => {
      const ledger = new Ledger(env);
      ledger.audienceSize = 1500;
      const deliverAt = (await env.currentTimeMs()) + MINUTE;
      ledger.heldUntil = [deliverAt + 8 * HOUR, deliverAt + 11 * HOUR];

      const { midway, final } = await run(ledger, { deliverAt }, async (handle) => {
        await sleepUntil(deliverAt + 9 * HOUR);
        const midway = await handle.query(campaignStateQuery);
        return { midway, final: await handle.result() };
      });

      expect(midway.status).toBe('running');
      expect(ledger.deferredCalls.map((call) => call.sent)).toEqual([0, 1, 1]);
      expectAtMoment(ledger.deferredCalls[1].at, deliverAt + 8 * HOUR);
      expectAtMoment(ledger.deferredCalls[2].at, deliverAt + 11 * HOUR);
      expect(final.status).toBe('completed');
      expectAtMoment(ledger.statuses.at(-1)!.at, deliverAt + 11 * HOUR);
    });
  });
});
