import { condition, patched, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import {
  cancelSignal,
  deliverAll,
  failureReason,
  isPermanentFailure,
  isProviderChannel,
  readSignal,
  removedByRecipientSignal,
  rescheduleSignal,
  SEND_ACTIVITY,
  stateQuery,
  PROVIDER_ACTIVITY_OPTIONS,
  PROVIDER_ACTIVITY_OPTIONS_BEFORE_LEDGER,
  type Channel,
  type DeliveryTarget,
  type DirectChannel,
  type ProviderChannel,
  type ScheduledMessageActivities,
  type ScheduledMessageInput,
  type ScheduledMessageState,
} from './scheduled-message.contract.js';

/** Database steps run as local activities: in the worker, without a round trip through the server queue. */
const { claimDelivery, planDelivery, claimAndPlanDelivery, recordDeliveryGaveUp, finishDelivery, recordChannelFailure, dismissMessage } =
  proxyLocalActivities<ScheduledMessageActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });

/** Each send retries on its own with backoff (delivery-policy.ts): a 429 or 5xx waits and tries again for up to a day. */
const { sendDelivery, deliverMessageChannel } = proxyActivities<ScheduledMessageActivities>(PROVIDER_ACTIVITY_OPTIONS);

/** Before the delivery ledger: one activity per channel. Kept for workflows that started then. */
const providers = proxyActivities<ScheduledMessageActivities>(PROVIDER_ACTIVITY_OPTIONS_BEFORE_LEDGER);

/**
 * The whole life of one scheduled message: sleep until it is due, deliver it on every chosen channel,
 * then keep it in the recipient's message center until its dismiss time, their removal, or their read.
 */
export async function scheduledMessage(input: ScheduledMessageInput): Promise<ScheduledMessageState> {
  const state: ScheduledMessageState = {
    phase: 'scheduled',
    deliverAt: input.deliverAt,
    dismissAt: input.dismissAt,
    readAt: null,
    outcome: null,
    channels: {},
  };
  let cancelled = false;
  let removedByRecipient = false;
  let scheduleChanged = false;
  const deliversThroughLedger = patched('delivery-ledger');
  // At the delivery time: claim and plan in one local activity, and finish only when every send failed.
  // Each local activity costs the worker an activation; a burst of due messages is bound by them.
  const claimsAndPlansAtOnce = deliversThroughLedger && patched('claim-and-plan-at-once');
  // A message whose sends are all email or SMS (one each) goes further: at the delivery time each channel's
  // activity claims, plans and sends, with no local activity before it.
  const sendsAtDeliveryTime = claimsAndPlansAtOnce && patched('send-at-delivery-time');
  const directChannels = directChannelsOf(input.channels);

  setHandler(stateQuery, () => state);
  setHandler(cancelSignal, () => void (cancelled = true));
  setHandler(removedByRecipientSignal, () => void (removedByRecipient = true));
  setHandler(readSignal, ({ readAt }) => void (state.readAt ??= readAt));
  setHandler(rescheduleSignal, (change) => {
    if (change.deliverAt !== undefined && state.phase === 'scheduled') state.deliverAt = change.deliverAt;
    if (change.dismissAt !== undefined) state.dismissAt = change.dismissAt;
    scheduleChanged = true;
  });

  /** Sleeps until `at` or until `interrupted()` holds; true when the time was reached. */
  async function sleepUntil(at: string, interrupted: () => boolean): Promise<boolean> {
    scheduleChanged = false;
    const wait = Date.parse(at) - Date.now();
    if (wait <= 0) return !interrupted();
    return !(await condition(() => interrupted() || scheduleChanged, wait));
  }

  // 1. Wait for the delivery time. The database decides, so a cancel racing the timer has one winner.
  let channels: Channel[] = [];
  let planned: DeliveryTarget[] | undefined;
  while (state.phase === 'scheduled') {
    const due = await sleepUntil(state.deliverAt, () => cancelled);
    if (cancelled) return end('cancelled');
    if (!due) continue;
    if (sendsAtDeliveryTime && directChannels) {
      const claim = await deliverEachChannel(directChannels);
      if (claim.outcome === 'not_due') {
        state.deliverAt = claim.deliverAt;
        continue;
      }
      if (claim.outcome === 'gone') return end('gone');
      channels = input.channels!;
      state.dismissAt = claim.dismissAt;
      state.phase = 'delivering';
      break;
    }
    const claim = claimsAndPlansAtOnce ? await claimAndPlanDelivery(input.messageId) : await claimDelivery(input.messageId);
    if (claim.outcome === 'not_due') {
      state.deliverAt = claim.deliverAt;
    } else if (claim.outcome === 'gone') {
      return end('gone');
    } else {
      channels = claim.channels;
      planned = claim.targets;
      state.dismissAt = claim.dismissAt;
      state.phase = 'delivering';
    }
  }

  // 2. The message center showed it from deliverAt on; every provider send now goes out at once (one per
  //    push subscription), each retrying on its own, and one failing holds back none of the others.
  if (channels.includes('message_center')) state.channels.message_center = 'sent';
  const providerChannels = channels.filter(isProviderChannel);
  if (sendsAtDeliveryTime && directChannels) {
    // Sent already, each by its channel's activity at the delivery time.
  } else if (deliversThroughLedger) {
    const outcomes: Partial<Record<ProviderChannel, Array<'sent' | 'skipped' | 'failed'>>> = {};
    // A channel the recipient cannot be reached on was recorded as skipped by the plan and has no target.
    for (const channel of providerChannels) outcomes[channel] = [];
    const targets = providerChannels.length > 0 ? (planned ?? (await planDelivery(input.messageId))) : [];
    await deliverAll(targets, { sendDelivery, recordDeliveryGaveUp }, (target, outcome) => {
      outcomes[target.channel]!.push(outcome);
      state.channels[target.channel] = channelOutcome(outcomes[target.channel]!);
    });
    for (const channel of providerChannels) state.channels[channel] = channelOutcome(outcomes[channel]!);
  } else {
    await Promise.all(
      providerChannels.map(async (channel) => {
        try {
          state.channels[channel] = await providers[SEND_ACTIVITY[channel]](input.messageId);
        } catch (error) {
          state.channels[channel] = 'failed';
          await recordChannelFailure(input.messageId, channel, failureReason(error));
        }
      }),
    );
  }
  // Only a provider can fail: a message-center-only message is delivered once claimed.
  const everySendFailed = providerChannels.length > 0 && !channels.includes('message_center') && providerChannels.every((c) => state.channels[c] === 'failed');
  const outcome = providerChannels.length > 0 && (everySendFailed || !claimsAndPlansAtOnce) ? await finishDelivery(input.messageId) : 'delivered';
  if (outcome === 'failed' || state.channels.message_center !== 'sent') return end(outcome);

  // 3. Keep it in the message center until the dismiss time or the recipient removes it.
  //    With no dismiss time the message's life ends once it is read.
  state.phase = 'in_message_center';
  for (;;) {
    if (removedByRecipient) return end('removed_by_recipient');
    if (state.dismissAt === null) {
      await condition(() => removedByRecipient || state.readAt !== null || scheduleChanged);
      scheduleChanged = false;
      if (state.readAt !== null && state.dismissAt === null && !removedByRecipient) return end('delivered');
      continue;
    }
    if (await sleepUntil(state.dismissAt, () => removedByRecipient)) {
      const dismissal = await dismissMessage(input.messageId);
      if (dismissal.outcome === 'dismissed') return end('dismissed');
      if (dismissal.outcome === 'gone') return end('removed_by_recipient');
      state.dismissAt = dismissal.dismissAt;
    }
  }

  /**
   * One activity per channel, side by side, each claiming the message, then planning and sending its channel.
   * The database decides the claim once, so they all answer alike, except one that failed after claiming.
   */
  async function deliverEachChannel(
    sends: readonly DirectChannel[],
  ): Promise<{ outcome: 'claimed'; dismissAt: string | null } | { outcome: 'not_due'; deliverAt: string } | { outcome: 'gone' }> {
    const results = await Promise.all(
      sends.map(async (channel) => {
        try {
          const result = await deliverMessageChannel(input.messageId, channel);
          if (result.outcome === 'claimed') state.channels[channel] = result.sent;
          return result;
        } catch (error) {
          state.channels[channel] = 'failed';
          if (!isPermanentFailure(error)) await recordChannelFailure(input.messageId, channel, failureReason(error));
          return undefined;
        }
      }),
    );
    const answered = results.find((result) => result !== undefined);
    // Every send failed: each claimed the message first, so it is delivered (to the message center, if chosen).
    if (answered === undefined) return { outcome: 'claimed', dismissAt: state.dismissAt };
    return answered.outcome === 'claimed' ? { outcome: 'claimed', dismissAt: answered.dismissAt } : answered;
  }

  function end(outcome: NonNullable<ScheduledMessageState['outcome']>): ScheduledMessageState {
    state.phase = 'ended';
    state.outcome = outcome;
    return state;
  }
}

/** A channel reached the recipient if any of its targets did; it failed if none did and one failed. */
function channelOutcome(outcomes: ReadonlyArray<'sent' | 'skipped' | 'failed'>): 'sent' | 'skipped' | 'failed' {
  if (outcomes.includes('sent')) return 'sent';
  return outcomes.includes('failed') ? 'failed' : 'skipped';
}

/** The email and SMS sends, when those are all the provider sends the channels ask for; otherwise null. */
function directChannelsOf(channels: readonly Channel[] | undefined): DirectChannel[] | null {
  if (!channels || channels.includes('push')) return null;
  const sends = channels.filter((channel): channel is DirectChannel => channel === 'email' || channel === 'sms');
  return sends.length > 0 ? sends : null;
}
