import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { PushSubscription } from '../push-subscriptions/push-subscription.entity.js';
import {
  EMAIL_PROVIDER,
  PUSH_PROVIDER,
  PushSubscriptionGoneError,
  SMS_PROVIDER,
  type EmailProvider,
  type EmailThreading,
  type Notification,
  type ProviderChannel,
  type PushProvider,
  type SendOptions,
  type SmsProvider,
} from './channel.js';

export interface NotifiedUser { id: string; name: string; email: string; phone: string | null }

export type SendOutcome = { status: 'sent'; providerMessageId?: string } | { status: 'skipped'; reason: string };

/**
 * Sends one rendered notification to one user on one provider channel, or says why it could not apply
 * (no phone, no push subscription). Provider errors propagate for the caller's retry policy.
 */
@Injectable()
export class NotificationSender {
  constructor(
    private readonly em: EntityManager,
    @Inject(EMAIL_PROVIDER) private readonly email: EmailProvider,
    @Inject(SMS_PROVIDER) private readonly sms: SmsProvider,
    @Inject(PUSH_PROVIDER) private readonly push: PushProvider,
  ) {}

  async send(
    channel: ProviderChannel,
    user: NotifiedUser,
    notification: Notification,
    threading?: EmailThreading,
    options?: SendOptions,
  ): Promise<SendOutcome> {
    if (channel === 'email') {
      return { status: 'sent', ...(await this.email.send({ email: user.email, name: user.name }, notification, threading, options)) };
    }
    if (channel === 'sms') {
      if (!user.phone) return { status: 'skipped', reason: 'recipient has no phone number' };
      return { status: 'sent', ...(await this.sms.send(user.phone, notification, options)) };
    }
    const subscriptions = await this.em.find(PushSubscription, { user: user.id });
    if (subscriptions.length === 0) return { status: 'skipped', reason: 'recipient has no push subscription' };
    let delivered = 0;
    let providerMessageId: string | undefined;
    for (const subscription of subscriptions) {
      try {
        const result = await this.push.send({ endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } }, notification, options);
        delivered += 1;
        providerMessageId ??= result.providerMessageId;
      } catch (error) {
        if (!(error instanceof PushSubscriptionGoneError)) throw error;
        // The browser unsubscribed; forget it so it is never tried again.
        await this.em.nativeDelete(PushSubscription, { id: subscription.id });
      }
    }
    if (delivered === 0) return { status: 'skipped', reason: 'every push subscription has expired' };
    return { status: 'sent', providerMessageId };
  }
}
