import { Inject, Injectable } from '@nestjs/common';
import {
  EMAIL_PROVIDER,
  PUSH_PROVIDER,
  SMS_PROVIDER,
  type BatchEmail,
  type EmailProvider,
  type EmailRecipient,
  type EmailThreading,
  type Notification,
  type PushProvider,
  type PushTarget,
  type SendOptions,
  type SendResult,
  type SmsProvider,
} from './channel.js';

/** Where one send goes: an address, a phone number, or one push subscription. */
export type SendTarget =
  { channel: 'email'; to: EmailRecipient; threading?: EmailThreading } | { channel: 'sms'; phone: string } | { channel: 'push'; subscription: PushTarget };

/** Hands one rendered notification to the configured provider of its channel. Provider errors propagate. */
@Injectable()
export class NotificationSender {
  constructor(
    @Inject(EMAIL_PROVIDER) private readonly email: EmailProvider,
    @Inject(SMS_PROVIDER) private readonly sms: SmsProvider,
    @Inject(PUSH_PROVIDER) private readonly push: PushProvider,
  ) {}

  /** Many emails, each its own, in one provider request (campaigns). */
  sendEmailBatch(emails: readonly BatchEmail[], options?: Pick<SendOptions, 'signal'>): Promise<SendResult> {
    return this.email.sendBatch(emails, options);
  }

  send(target: SendTarget, notification: Notification, options?: SendOptions): Promise<SendResult> {
    switch (target.channel) {
      case 'email':
        return this.email.send(target.to, notification, target.threading, options);
      case 'sms':
        return this.sms.send(target.phone, notification, options);
      case 'push':
        return this.push.send(target.subscription, notification, options);
    }
  }
}
