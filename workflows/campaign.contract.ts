import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export { CAMPAIGN_ID } from './search-attributes.js';

/**
 * Everything the campaign workflow shares with the rest of Tidings: its name, id, input, updates,
 * signal, query and activities. The workflow imports nothing else of ours.
 */
export const CAMPAIGN_WORKFLOW = 'campaign';
export const workflowIdForCampaign = (campaignId: string) => `campaign-${campaignId}`;

/** Recipients per batch: one message-center INSERT and one SendGrid request each. */
export const CAMPAIGN_BATCH_SIZE = 1000;
/** Batches in flight at once. */
export const CAMPAIGN_BATCHES_IN_FLIGHT = 4;
/** Batches per run before the workflow continues as new, so its history stays small at any audience size. */
export const CAMPAIGN_BATCHES_PER_RUN = 25;

/**
 * Texts in flight at once: each of these lanes of the SMS lane takes every CAMPAIGN_SMS_IN_FLIGHT-th position,
 * one text per activity, so the server's rate limit on the SMS task queue paces them one by one.
 */
export const CAMPAIGN_SMS_IN_FLIGHT = 16;

/** Texts per run before the workflow continues as new (an SMS campaign's texts outlast its batches). */
export const CAMPAIGN_SMS_CALLS_PER_RUN = 2000;

/**
 * Campaign SMS go through a task queue of their own, beside the campaign queue, whose activity rate the
 * server holds to TWILIO_MAX_PER_SECOND: however many campaigns and workers, the provider sees that rate.
 */
export const campaignSmsTaskQueue = (campaignTaskQueue: string) => `${campaignTaskQueue}-sms`;

/** One text's attempt: the provider's request timeout and the ledger's lease, as for every send. */
export { PROVIDER_ACTIVITY_OPTIONS as CAMPAIGN_SMS_ACTIVITY_OPTIONS } from './delivery-policy.js';

/** Runs started from here on leave a batch's SMS to `sendCampaignSms`, paced; earlier ones sent them inside the batch. */
export const CAMPAIGN_SMS_PACED_PATCH = 'campaign-sms-paced';

export interface CampaignInput {
  campaignId: string;
  deliverAt: number;
  /** Where a previous run stopped (continue-as-new): the audience is snapshotted, and these positions are done. */
  progress?: CampaignProgress;
}

export interface CampaignProgress {
  /** Rows in the audience snapshot (campaign_recipient.seq runs from 1 to this). */
  audienceSize: number;
  /** The first position not yet delivered. */
  nextSeq: number;
  paused: boolean;
  /** The campaign sends SMS, paced apart from its batches; absent in runs from before the pacing. */
  sms?: boolean;
  /** Positions up to here have had their SMS sent (or held by quiet hours). */
  smsThrough?: number;
}

export type CampaignPhase = 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';

export interface CampaignState {
  status: CampaignPhase;
  deliverAt: number;
  audienceSize: number | null;
  nextSeq: number;
}

/** Why an update was refused: it makes no sense in the campaign's state. The API answers 409. */
export const CAMPAIGN_STATE_CONFLICT = 'CampaignStateConflict';

export const pauseCampaignUpdate = defineUpdate<CampaignState, [{ byUserId: string }]>('pause');
export const resumeCampaignUpdate = defineUpdate<CampaignState, [{ byUserId: string }]>('resume');
export const cancelCampaignUpdate = defineUpdate<CampaignState, [{ byUserId: string }]>('cancel');
/** A new delivery time, before the campaign has started. */
export const campaignRescheduledSignal = defineSignal<[{ deliverAt: number }]>('rescheduled');
export const campaignStateQuery = defineQuery<CampaignState>('state');

/** Positions `fromSeq`..`toSeq` of the audience snapshot. */
export interface CampaignBatch {
  campaignId: string;
  fromSeq: number;
  toSeq: number;
  /** The batch's SMS are left to sendCampaignSms; without it (runs from before the pacing) the batch sends them. */
  smsPaced?: boolean;
}

export interface CampaignBatchOutcome {
  /** Included recipients in the batch. */
  recipients: number;
  /** Sends that went out in this attempt (not counting those an earlier attempt had already sent). */
  sent: number;
}

/**
 * The next text due in one lane of the SMS lane: the first unsent SMS at a position after `afterSeq`, up to
 * `throughSeq`, among positions p with p % stripes = stripe.
 */
export interface CampaignSmsRequest {
  campaignId: string;
  afterSeq: number;
  throughSeq: number;
  stripe: number;
  stripes: number;
}

export interface CampaignSmsOutcome {
  sent: number;
  /** Another text of the lane is due up to throughSeq. */
  more: boolean;
  /** The position this call dealt with (sent, or refused for good), or afterSeq when it sent nothing. */
  lastSeq: number;
}

/** What the worker runs for this workflow (activities/campaign.activities.ts). */
export interface CampaignActivities {
  /** Writes the audience into campaign_recipient (once: a repeat returns the first snapshot's size) and marks the campaign running. */
  snapshotAudience(campaignId: string): Promise<{ audienceSize: number; sms?: boolean }>;
  /** The message center (one INSERT), the ledger rows, and the sends of one batch; a retry skips what was sent. */
  deliverCampaignBatch(batch: CampaignBatch): Promise<CampaignBatchOutcome>;
  /**
   * Sends what quiet hours held back and is now due, up to a batch; says whether more is due now, and when
   * the next held sends fall due (epoch ms; null when nothing is held).
   */
  deliverDeferredCampaignSends(campaignId: string, options?: { skipSms?: boolean }): Promise<{ sent: number; more: boolean; nextAt: number | null }>;
  /**
   * On the SMS task queue: sends one text, the next due in its lane, at the worker's pace; sends nothing
   * once the campaign is paused or cancelled.
   */
  sendCampaignSms(request: CampaignSmsRequest): Promise<CampaignSmsOutcome>;
  /** Mirrors the campaign's state into PostgreSQL (status and its time). */
  recordCampaignStatus(campaignId: string, status: CampaignPhase): Promise<void>;
}
