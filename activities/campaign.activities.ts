import type { CampaignActivities } from '../workflows/campaign.contract.js';
import type { CampaignDelivery } from '../libs/campaigns/campaign-delivery.service.js';
import type { CampaignSms } from '../libs/campaigns/campaign-sms.js';
import { whileSending } from './delivery.activities.js';

/** Runs each call in its own unit of work, as an HTTP request would. */
export type CampaignUnitOfWork = <T>(work: (services: { delivery: CampaignDelivery; sms: CampaignSms }) => Promise<T>) => Promise<T>;

/** Thin adapters from Temporal to the campaign delivery service. */
export function createCampaignActivities(inUnitOfWork: CampaignUnitOfWork): CampaignActivities {
  return {
    snapshotAudience: (campaignId) => inUnitOfWork(({ delivery }) => delivery.snapshotAudience(campaignId)),
    // A batch is a provider send: it heartbeats while it works and aborts its requests when cancelled.
    deliverCampaignBatch: (batch) => inUnitOfWork(({ delivery }) => whileSending((signal) => delivery.deliverBatch(batch, signal))),
    deliverDeferredCampaignSends: (campaignId, options) =>
      inUnitOfWork(({ delivery }) => whileSending((signal) => delivery.deliverDeferred(campaignId, options, signal))),
    sendCampaignSms: (request) => inUnitOfWork(({ sms }) => whileSending((signal) => sms.send(request, signal))),
    recordCampaignStatus: (campaignId, status) => inUnitOfWork(({ delivery }) => delivery.recordStatus(campaignId, status)),
  };
}
