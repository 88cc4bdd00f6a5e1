import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { PermanentDeliveryError, PushSubscriptionGoneError, TransientDeliveryError, type EmailThreading, type Notification } from '../channels/channel.js';
import { NotificationSender, type SendTarget } from '../channels/notification-sender.js';
import { describeDeliveryError } from '../channels/providers/delivery-errors.js';
import { PushSubscription } from '../push-subscriptions/push-subscription.entity.js';
import { User } from '../users/user.entity.js';
import { DeliveryLedger, type Claim, type SettledOutcome } from './delivery-ledger.js';
import type { Delivery, DeliverySubjectType } from './delivery.entity.js';

/** A notification ready for its recipient, or why this delivery no longer applies (e.g. they left the conversation). */
export type RenderedDelivery = { notification: Notification; threading?: EmailThreading } | { skip: string };

/** What each kind of subject (a scheduled message, a conversation message) knows: how to word its notifications. */
export interface DeliveryContent {
  render(delivery: Delivery): Promise<RenderedDelivery>;
}

/** Another attempt holds the delivery's lease and may still be talking to the provider; retry later, do not send. */
export class DeliveryInProgressError extends TransientDeliveryError {
  constructor(deliveryId: string) {
    super(`delivery ${deliveryId} is being sent by another attempt; not sending it twice`);
    this.name = 'DeliveryInProgressError';
  }
}

/**
 * The one component that sends: claims the delivery in the ledger, renders it, hands it to the channel's
 * provider (abortable, tagged with the delivery id), and writes the outcome once. Safe to call again for
 * the same delivery: a settled one is not sent again, and one in flight elsewhere is not sent twice.
 */
@Injectable()
export class Deliverer {
  private readonly logger = new Logger(Deliverer.name);
  private readonly contents = new Map<DeliverySubjectType, DeliveryContent>();

  constructor(
    private readonly em: EntityManager,
    private readonly ledger: DeliveryLedger,
    private readonly sender: NotificationSender,
  ) {}

  /** Each subject module registers how its notifications are worded. */
  register(type: DeliverySubjectType, content: DeliveryContent): void {
    this.contents.set(type, content);
  }

  async deliver(deliveryId: string, signal?: AbortSignal): Promise<'sent' | 'skipped'> {
    const claim = await this.ledger.claim(deliveryId);
    if (claim.kind === 'in_progress') throw new DeliveryInProgressError(deliveryId);
    if (claim.kind === 'settled') {
      const { status, lastError } = claim.delivery;
      if (status === 'failed') throw new PermanentDeliveryError(lastError ?? 'the delivery failed');
      return status as 'sent' | 'skipped';
    }
    let outcome: SettledOutcome;
    try {
      outcome = await this.send(claim.delivery, signal);
    } catch (error) {
      const failure = await this.failureOutcome(claim, error);
      await this.ledger.settle(claim, failure);
      if (failure.status === 'skipped') return 'skipped';
      this.logger.warn(`delivery ${deliveryId} (${claim.delivery.channel}) attempt ${claim.attempt} failed: ${failure.reason}`);
      throw error;
    }
    await this.ledger.settle(claim, outcome);
    return outcome.status === 'sent' ? 'sent' : 'skipped';
  }

  /**
   * Several deliveries one after the other, as one outcome: sent if any was, skipped if none applied. A
   * transient failure stops here for the caller's retry (what went out is not sent again); a permanent one
   * is thrown only if nothing was sent. For the one-activity-per-channel sends of workflows started before
   * the ledger.
   */
  async deliverEach(deliveryIds: readonly string[]): Promise<'sent' | 'skipped'> {
    const outcomes: Array<'sent' | 'skipped'> = [];
    let refused: PermanentDeliveryError | undefined;
    for (const deliveryId of deliveryIds) {
      try {
        outcomes.push(await this.deliver(deliveryId));
      } catch (error) {
        if (!(error instanceof PermanentDeliveryError)) throw error;
        refused = error;
      }
    }
    if (outcomes.includes('sent')) return 'sent';
    if (refused) throw refused;
    return 'skipped';
  }

  private async send(delivery: Delivery, signal?: AbortSignal): Promise<SettledOutcome> {
    const content = this.contents.get(delivery.subjectType);
    if (!content) throw new Error(`nothing renders deliveries of ${delivery.subjectType}`);
    const rendered = await content.render(delivery);
    if ('skip' in rendered) return { status: 'skipped', reason: rendered.skip };
    const target = await this.targetOf(delivery, rendered.threading);
    if ('skip' in target) return { status: 'skipped', reason: target.skip };
    const result = await this.sender.send(target, rendered.notification, { signal, deliveryId: delivery.id });
    return { status: 'sent', providerMessageId: result.providerMessageId };
  }

  /** Where this delivery goes now: the recipient may have lost their phone number or unsubscribed since it was planned. */
  private async targetOf(delivery: Delivery, threading?: EmailThreading): Promise<SendTarget | { skip: string }> {
    const user = await this.em.findOneOrFail(User, delivery.recipientId, { fields: ['name', 'email', 'phone'] });
    switch (delivery.channel) {
      case 'email':
        return { channel: 'email', to: { email: user.email, name: user.name }, threading };
      case 'sms':
        return user.phone ? { channel: 'sms', phone: user.phone } : { skip: 'recipient has no phone number' };
      case 'push': {
        const subscription = await this.em.findOne(PushSubscription, { id: delivery.target, user: delivery.recipientId });
        if (!subscription) return { skip: 'the push subscription was removed' };
        return { channel: 'push', subscription: { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } } };
      }
    }
  }

  private async failureOutcome(claim: Extract<Claim, { kind: 'send' }>, error: unknown): Promise<Exclude<SettledOutcome, { status: 'sent' }>> {
    if (error instanceof PushSubscriptionGoneError) {
      // The browser unsubscribed: forget the subscription so nothing is sent to it again.
      await this.em.nativeDelete(PushSubscription, { id: claim.delivery.target });
      return { status: 'skipped', reason: error.message };
    }
    const reason = describeDeliveryError(error);
    return error instanceof PermanentDeliveryError ? { status: 'failed', reason } : { status: 'retrying', reason };
  }
}
