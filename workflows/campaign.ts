import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  CAMPAIGN_BATCH_SIZE,
  CAMPAIGN_BATCHES_IN_FLIGHT,
  CAMPAIGN_BATCHES_PER_RUN,
  CAMPAIGN_SMS_ACTIVITY_OPTIONS,
  CAMPAIGN_SMS_CALLS_PER_RUN,
  CAMPAIGN_SMS_IN_FLIGHT,
  CAMPAIGN_SMS_PACED_PATCH,
  CAMPAIGN_STATE_CONFLICT,
  campaignRescheduledSignal,
  campaignSmsTaskQueue,
  campaignStateQuery,
  cancelCampaignUpdate,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
  type CampaignActivities,
  type CampaignInput,
  type CampaignPhase,
  type CampaignState,
} from './campaign.contract.js';

const { recordCampaignStatus } = proxyLocalActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** The snapshot of 100,000 recipients takes seconds, not minutes. */
const { snapshotAudience } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

/**
 * A batch retries on its own with backoff for up to a day (a provider's 429 asks for its Retry-After); each
 * retry claims in the ledger before it sends, so what went out is not sent again. The heartbeat lets a
 * worker that died mid-batch be noticed in seconds.
 */
const SEND_OPTIONS = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
} as const;
const { deliverCampaignBatch, deliverDeferredCampaignSends } = proxyActivities<CampaignActivities>(SEND_OPTIONS);

/**
 * One campaign: at its delivery time, snapshot the audience (in PostgreSQL: no recipient ever enters this
 * history), then work through it in batches of CAMPAIGN_BATCH_SIZE, CAMPAIGN_BATCHES_IN_FLIGHT at a time,
 * continuing as new every CAMPAIGN_BATCHES_PER_RUN batches with only its position. The SMS follow the
 * batches on a lane of their own, at the provider's pace, so the message center and email never wait for
 * them. Then the SMS and push that quiet hours held back, as the hours end. Pause holds new batches and
 * texts back (those in flight finish), resume goes on from the position, cancel sends nothing more.
 */
export async function campaign(input: CampaignInput): Promise<CampaignState> {
  const { sendCampaignSms } = proxyActivities<CampaignActivities>({
    ...CAMPAIGN_SMS_ACTIVITY_OPTIONS,
    taskQueue: campaignSmsTaskQueue(workflowInfo().taskQueue),
  });
  const smsPacing = patched(CAMPAIGN_SMS_PACED_PATCH);
  const state: CampaignState = {
    status: input.progress ? (input.progress.paused ? 'paused' : 'running') : 'scheduled',
    deliverAt: input.deliverAt,
    audienceSize: input.progress?.audienceSize ?? null,
    nextSeq: input.progress?.nextSeq ?? 1,
  };
  let rescheduled = false;
  /** Whether the campaign sends SMS (known from its snapshot, then carried from run to run). */
  let sendsSms = input.progress?.sms === true;
  /** The status writes, one after another in the order of the changes. */
  let statusWrites: Promise<void> = Promise.resolve();
  // Read through a function: handlers change the status while this code awaits.
  const status = (): CampaignPhase => state.status;

  setHandler(campaignStateQuery, () => ({ ...state }));
  setHandler(campaignRescheduledSignal, ({ deliverAt }) => {
    if (state.status !== 'scheduled') return;
    state.deliverAt = deliverAt;
    rescheduled = true;
  });
  setHandler(
    pauseCampaignUpdate,
    async () => {
      await setStatus('paused');
      return { ...state };
    },
    { validator: refuseUnless(['scheduled', 'running'], 'pause') },
  );
  setHandler(
    resumeCampaignUpdate,
    async () => {
      await setStatus(state.audienceSize === null ? 'scheduled' : 'running');
      return { ...state };
    },
    { validator: refuseUnless(['paused'], 'resume') },
  );
  setHandler(
    cancelCampaignUpdate,
    async () => {
      await setStatus('cancelled');
      return { ...state };
    },
    { validator: refuseUnless(['scheduled', 'running', 'paused'], 'cancel') },
  );

  // 1. Until the delivery time (which may move before it comes), or until cancelled.
  while (state.audienceSize === null && status() !== 'cancelled') {
    rescheduled = false;
    const untilDue = state.deliverAt - Date.now();
    if (untilDue > 0) await condition(() => rescheduled || status() === 'cancelled', untilDue);
    else await condition(() => status() !== 'paused');
    if (status() === 'cancelled' || rescheduled || state.deliverAt > Date.now() || status() === 'paused') continue;
    // 2. The audience as it is now, into PostgreSQL.
    const snapshot = await snapshotAudience(input.campaignId);
    state.audienceSize = snapshot.audienceSize;
    sendsSms = snapshot.sms === true;
    if (status() === 'scheduled') await setStatus('running');
  }
  const audienceSize = state.audienceSize!;
  // Runs from before the pacing (and the runs they continue into) send each batch's SMS inside the batch.
  const paceSms = smsPacing && sendsSms;

  // 3. Batches, a few at a time; pause holds back the next ones. Each finished batch lets the SMS lane go further.
  let batchesThisRun = 0;
  let batchesOver = false;
  /** Every position up to here is in a finished batch. */
  let doneThrough = state.nextSeq - 1;
  const finishedBatches = new Set<number>();
  const lane = async () => {
    for (;;) {
      await condition(() => status() !== 'paused');
      if (status() === 'cancelled' || state.nextSeq > audienceSize || batchesThisRun >= CAMPAIGN_BATCHES_PER_RUN) return;
      const fromSeq = state.nextSeq;
      state.nextSeq += CAMPAIGN_BATCH_SIZE;
      batchesThisRun += 1;
      await deliverCampaignBatch({
        campaignId: input.campaignId,
        fromSeq,
        toSeq: fromSeq + CAMPAIGN_BATCH_SIZE - 1,
        ...(paceSms ? { smsPaced: true } : {}),
      });
      finishedBatches.add(fromSeq);
      while (finishedBatches.delete(doneThrough + 1)) doneThrough += CAMPAIGN_BATCH_SIZE;
    }
  };
  // 4. The texts of finished batches, one at a time in each of a few lanes, at the pace the SMS task queue
  //    keeps; those a run leaves behind go on in the next. Each lane's texts up to its floor are done.
  const smsFloor = Array.from({ length: CAMPAIGN_SMS_IN_FLIGHT }, () => input.progress?.smsThrough ?? 0);
  let smsCalls = 0;
  const smsLane = async (stripe: number) => {
    let afterSeq = smsFloor[stripe];
    for (;;) {
      const due = () => Math.min(doneThrough, audienceSize);
      await condition(() => status() === 'cancelled' || batchesOver || (status() !== 'paused' && smsFloor[stripe] < due()));
      if (status() === 'cancelled' || smsFloor[stripe] >= due()) return;
      if (batchesOver && (state.nextSeq <= audienceSize || smsCalls >= CAMPAIGN_SMS_CALLS_PER_RUN)) return;
      await condition(() => status() !== 'paused');
      if (status() === 'cancelled') return;
      const throughSeq = due();
      smsCalls += 1;
      const { more, lastSeq } = await sendCampaignSms({ campaignId: input.campaignId, afterSeq, throughSeq, stripe, stripes: CAMPAIGN_SMS_IN_FLIGHT });
      afterSeq = more ? lastSeq : throughSeq;
      if (!more) smsFloor[stripe] = throughSeq;
    }
  };
  const smsThrough = () => Math.min(...smsFloor);
  if (status() !== 'cancelled') {
    const texts = paceSms ? Promise.all(smsFloor.map((_, stripe) => smsLane(stripe))) : Promise.resolve();
    await Promise.all(Array.from({ length: CAMPAIGN_BATCHES_IN_FLIGHT }, lane));
    batchesOver = true;
    await texts;
  }

  await condition(allHandlersFinished);
  if (status() !== 'cancelled' && (state.nextSeq <= audienceSize || (paceSms && smsThrough() < audienceSize))) return continueFromHere();
  // 5. What quiet hours held back, as each recipient's hours end.
  if ((await deliverHeldSends()) === 'continue') return continueFromHere();
  if (status() !== 'cancelled') await setStatus('completed');
  return { ...state };

  /** The history stays small: the next run starts from the position, and nothing else. */
  function continueFromHere(): Promise<never> {
    return continueAsNew<typeof campaign>({
      campaignId: input.campaignId,
      deliverAt: state.deliverAt,
      progress: {
        audienceSize,
        nextSeq: state.nextSeq,
        paused: status() === 'paused',
        ...(paceSms ? { sms: true, smsThrough: smsThrough() } : {}),
      },
    });
  }

  async function deliverHeldSends(): Promise<'done' | 'continue'> {
    for (;;) {
      await condition(() => status() !== 'paused');
      if (status() === 'cancelled') return 'done';
      const { more, nextAt } = paceSms
        ? await deliverDeferredCampaignSends(input.campaignId, { skipSms: true })
        : await deliverDeferredCampaignSends(input.campaignId);
      if (paceSms && (await sendDueTexts()) === 'continue') return 'continue';
      if (more) continue;
      if (nextAt === null) return 'done';
      await condition(() => status() === 'cancelled', Math.max(1, nextAt - Date.now()));
    }
  }

  /** Every text due now across the audience (those quiet hours held, whose hours have ended), lane by lane. */
  async function sendDueTexts(): Promise<'done' | 'continue'> {
    const lanes = await Promise.all(
      smsFloor.map(async (_, stripe) => {
        for (let afterSeq = 0; ;) {
          await condition(() => status() !== 'paused');
          if (status() === 'cancelled') return 'done';
          if (smsCalls >= CAMPAIGN_SMS_CALLS_PER_RUN) return 'continue';
          smsCalls += 1;
          const { more, lastSeq } = await sendCampaignSms({
            campaignId: input.campaignId,
            afterSeq,
            throughSeq: audienceSize,
            stripe,
            stripes: CAMPAIGN_SMS_IN_FLIGHT,
          });
          if (!more) return 'done';
          afterSeq = lastSeq;
        }
      }),
    );
    return lanes.includes('continue') ? 'continue' : 'done';
  }

  /**
   * Changes the status, and mirrors it into PostgreSQL after the changes before it: two changes close
   * together (a pause while a slow resume is still being written, a cancel while a pause is) would
   * otherwise race, and the older write could land last.
   */
  function setStatus(status: CampaignPhase): Promise<void> {
    state.status = status;
    const written = statusWrites.then(() => recordCampaignStatus(input.campaignId, status));
    statusWrites = written.catch(() => undefined);
    return written;
  }

  function refuseUnless(allowed: CampaignPhase[], action: string) {
    return (_request: unknown) => {
      if (!allowed.includes(state.status)) {
        throw ApplicationFailure.create({ type: CAMPAIGN_STATE_CONFLICT, message: `a ${state.status} campaign cannot ${action}`, details: [{ ...state }] });
      }
    };
  }
}
