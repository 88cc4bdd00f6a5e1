import type { DeliveryActivities, ScheduledMessageActivities } from '../workflows/scheduled-message.contract.js';
import type { ProviderChannel } from '../libs/channels/channel.js';
import type { MessageDeliveryService } from '../libs/messages/message-delivery.service.js';
import { toActivityFailure } from './delivery-failure.js';
import { whileSending } from './delivery.activities.js';

/** Runs each call in its own unit of work, as an HTTP request would. */
export type UnitOfWork = <T>(work: (service: MessageDeliveryService) => Promise<T>) => Promise<T>;

/**
 * Thin adapters from Temporal to the delivery service. A permanent refusal becomes a non-retryable
 * failure so Temporal stops retrying that channel at once.
 */
export function createMessageDeliveryActivities(inUnitOfWork: UnitOfWork): Omit<ScheduledMessageActivities, keyof DeliveryActivities> {
  const deliver = (channel: ProviderChannel) => (messageId: string) =>
    inUnitOfWork(async (service) => {
      try {
        return await service.deliverChannel(messageId, channel);
      } catch (error) {
        throw toActivityFailure(error);
      }
    });

  return {
    // The relay starts a workflow only after its row is committed, so a missing row is gone for good.
    claimDelivery: (messageId) =>
      inUnitOfWork(async (service) => {
        const claim = await service.claim(messageId);
        return claim.outcome === 'missing' ? { outcome: 'gone' } : claim;
      }),
    planDelivery: (messageId) => inUnitOfWork((service) => service.plan(messageId)),
    claimAndPlanDelivery: (messageId) => inUnitOfWork((service) => service.claimAndPlan(messageId)),
    deliverMessageChannel: (messageId, channel) =>
      inUnitOfWork((service) => whileSending((signal) => service.deliverChannelWhenDue(messageId, channel, signal))),
    sendEmail: deliver('email'),
    sendSms: deliver('sms'),
    sendPush: deliver('push'),
    recordChannelFailure: (messageId, channel, reason) =>
      inUnitOfWork((service) => (channel === 'message_center' ? Promise.resolve() : service.recordChannelGaveUp(messageId, channel, reason))),
    finishDelivery: (messageId) => inUnitOfWork((service) => service.finish(messageId)),
    dismissMessage: (messageId) => inUnitOfWork((service) => service.dismiss(messageId)),
  };
}
