import type { Channel, ProviderChannel } from '../libs/channels/channel.js';
import { toActivityFailure } from './delivery-failure.js';
import type { ClaimResult, MessageDeliveryService } from '../libs/messages/message-delivery.service.js';
import { retryUntilCommitted } from './awaiting-commit.js';

/** Runs each call in its own unit of work, as an HTTP request would. */
export type UnitOfWork = <T>(work: (service: MessageDeliveryService) => Promise<T>) => Promise<T>;

/**
 * Thin adapters from Temporal to the delivery service. A permanent refusal becomes a non-retryable
 * failure so Temporal stops retrying that channel at once.
 */
export function createMessageDeliveryActivities(inUnitOfWork: UnitOfWork) {
  const deliver = (channel: ProviderChannel) => (messageId: string) =>
    inUnitOfWork(async (service) => {
      try {
        return await service.deliver(messageId, channel);
      } catch (error) {
        throw toActivityFailure(error);
      }
    });

  return {
    claimDelivery: (messageId: string): Promise<ClaimResult> =>
      inUnitOfWork(async (service) => {
        const claim = await service.claim(messageId);
        if (claim.outcome !== 'missing') return claim;
        retryUntilCommitted(`message ${messageId}`);
        return { outcome: 'gone' };
      }),
    sendEmail: deliver('email'),
    sendSms: deliver('sms'),
    sendPush: deliver('push'),
    recordChannelFailure: (messageId: string, channel: Channel, reason: string) =>
      inUnitOfWork((service) => service.recordFailure(messageId, channel, reason)),
    finishDelivery: (messageId: string) => inUnitOfWork((service) => service.finish(messageId)),
    dismissMessage: (messageId: string) => inUnitOfWork((service) => service.dismiss(messageId)),
  };
}

export type MessageDeliveryActivities = ReturnType<typeof createMessageDeliveryActivities>;
