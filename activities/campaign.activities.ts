import type { CampaignActivities } from '../workflows/campaign.contract.js';
import type { CampaignDelivery } from '../libs/campaigns/campaign-delivery.service.js';
import { whileSending } from './delivery.activities.js';

/** Runs each call in its own unit of work, as an HTTP request would. */
export type CampaignUnitOfWork = <T>(work: (service: CampaignDelivery) => Promise<T>) => Promise<T>;

/** Thin adapters from Temporal to the campaign delivery service. */
export function createCampaignActivities(inUnitOfWork: CampaignUnitOfWork): CampaignActivities {
  return {
    snapshotAudience: (campaignId) => inUnitOfWork((service) => service.snapshotAudience(campaignId)),
    // A batch is a provider send: it heartbeats while it works and aborts its requests when cancelled.
    deliverCampaignBatch: (batch) => inUnitOfWork((service) => whileSending((signal) => service.deliverBatch(batch, signal))),
    deliverDeferredCampaignSends: (campaignId) => inUnitOfWork((service) => whileSending((signal) => service.deliverDeferred(campaignId, signal))),
    recordCampaignStatus: (campaignId, status) => inUnitOfWork((service) => service.recordStatus(campaignId, status)),
  };
}
