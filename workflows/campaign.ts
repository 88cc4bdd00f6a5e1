import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import {
  CAMPAIGN_BATCH_SIZE,
  CAMPAIGN_BATCHES_IN_FLIGHT,
  CAMPAIGN_BATCHES_PER_RUN,
  CAMPAIGN_STATE_CONFLICT,
  campaignRescheduledSignal,
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
const { deliverCampaignBatch, deliverDeferredCampaignSends } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * One campaign: at its delivery time, snapshot the audience (in PostgreSQL: no recipient ever enters this
 * history), then work through it in batches of CAMPAIGN_BATCH_SIZE, CAMPAIGN_BATCHES_IN_FLIGHT at a time,
 * continuing as new every CAMPAIGN_BATCHES_PER_RUN batches with only its position; then the SMS and push
 * that quiet hours held back, as the hours end. Pause holds new batches back (those in flight finish),
 * resume goes on from the position, cancel sends nothing more.
 */
export async function campaign(input: CampaignInput): Promise<CampaignState> {
  const state: CampaignState = {
    status: input.progress ? (input.progress.paused ? 'paused' : 'running') : 'scheduled',
    deliverAt: input.deliverAt,
    audienceSize: input.progress?.audienceSize ?? null,
    nextSeq: input.progress?.nextSeq ?? 1,
  };
  let rescheduled = false;
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
    ({ audienceSize: state.audienceSize } = await snapshotAudience(input.campaignId));
    if (status() === 'scheduled') await setStatus('running');
  }

  // 3. Batches, a few at a time; pause holds back the next ones.
  let batchesThisRun = 0;
  const lane = async () => {
    for (;;) {
      await condition(() => status() !== 'paused');
      if (status() === 'cancelled' || state.nextSeq > state.audienceSize! || batchesThisRun >= CAMPAIGN_BATCHES_PER_RUN) return;
      const fromSeq = state.nextSeq;
      state.nextSeq += CAMPAIGN_BATCH_SIZE;
      batchesThisRun += 1;
      await deliverCampaignBatch({ campaignId: input.campaignId, fromSeq, toSeq: fromSeq + CAMPAIGN_BATCH_SIZE - 1 });
    }
  };
  if (status() !== 'cancelled') await Promise.all(Array.from({ length: CAMPAIGN_BATCHES_IN_FLIGHT }, lane));

  await condition(allHandlersFinished);
  if (status() !== 'cancelled' && state.nextSeq <= state.audienceSize!) {
    // 4. The history stays small: the next run starts from the position, and nothing else.
    return continueAsNew<typeof campaign>({
      campaignId: input.campaignId,
      deliverAt: state.deliverAt,
      progress: { audienceSize: state.audienceSize!, nextSeq: state.nextSeq, paused: status() === 'paused' },
    });
  }
  // 5. What quiet hours held back, as each recipient's hours end.
  await deliverHeldSends();
  if (status() !== 'cancelled') await setStatus('completed');
  return { ...state };

  async function deliverHeldSends(): Promise<void> {
    for (;;) {
      await condition(() => status() !== 'paused');
      if (status() === 'cancelled') return;
      const { more, nextAt } = await deliverDeferredCampaignSends(input.campaignId);
      if (more) continue;
      if (nextAt === null) return;
      await condition(() => status() === 'cancelled', Math.max(1, nextAt - Date.now()));
    }
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
