import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { BatchEmail, EmailProvider, EmailRecipient, Notification, PushProvider, PushTarget, SendResult, SmsProvider } from '../channel.js';

/**
 * Development stand-ins: they only note that a delivery happened. Never log the recipient or the
 * notification — even in development, log files end up shared, and privacy mode must hold there too.
 */
abstract class LogProvider {
  readonly name = 'log';
  private readonly logger = new Logger(this.constructor.name);

  protected constructor(private readonly channel: 'email' | 'sms' | 'push') {}

  protected deliver(count = 1): Promise<SendResult> {
    const providerMessageId = `log-${randomUUID()}`;
    this.logger.log(`${count === 1 ? this.channel : `${count} ${this.channel}s`} delivered via log provider (${providerMessageId})`);
    return Promise.resolve({ providerMessageId });
  }
}

export class LogEmailProvider extends LogProvider implements EmailProvider {
  constructor() {
    super('email');
  }
  send(_to: EmailRecipient, _notification: Notification): Promise<SendResult> {
    return this.deliver();
  }
  sendBatch(emails: readonly BatchEmail[]): Promise<SendResult> {
    return this.deliver(emails.length);
  }
}

export class LogSmsProvider extends LogProvider implements SmsProvider {
  constructor() {
    super('sms');
  }
  send(_toPhone: string, _notification: Notification): Promise<SendResult> {
    return this.deliver();
  }
}

export class LogPushProvider extends LogProvider implements PushProvider {
  constructor() {
    super('push');
  }
  send(_target: PushTarget, _notification: Notification): Promise<SendResult> {
    return this.deliver();
  }
}
