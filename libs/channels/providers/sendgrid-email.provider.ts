import * as sendgridClientModule from '@sendgrid/client';
import type sendgridClientSingleton from '@sendgrid/client';
import * as sendgridMailModule from '@sendgrid/mail';
import type sendgridMailSingleton from '@sendgrid/mail';
import type { AppConfig } from '../../config/app-config.js';
import { TransientDeliveryError, type EmailProvider, type EmailRecipient, type EmailThreading, type Notification, type SendResult } from '../channel.js';
import { deliveryErrorForStatus, isNetworkError, redactRecipient } from './delivery-errors.js';

// @sendgrid 8.1.6 typings declare the `Client` and `MailService` classes as named exports beside
// `export =`, which TypeScript 7 rejects (TS2595). The runtime does export them, so retype them here.
type SendgridClient = typeof sendgridClientSingleton;
type SendgridMailService = typeof sendgridMailSingleton;
const { Client } = sendgridClientModule as unknown as { Client: new () => SendgridClient };
const { MailService } = sendgridMailModule as unknown as { MailService: new () => SendgridMailService };

/** A hung request would hold a delivery attempt forever; the caller retries transient failures. */
const REQUEST_TIMEOUT_MS = 15_000;

/** Sends email through SendGrid's v3 Mail Send API with the official SDK. */
export class SendgridEmailProvider implements EmailProvider {
  readonly name = 'sendgrid';
  private readonly mail: SendgridMailService;
  private readonly from: string;

  constructor(settings: AppConfig['email']) {
    if (!settings.sendgridApiKey) throw new Error('SendgridEmailProvider needs email.sendgridApiKey');
    this.from = settings.from;
    // A dedicated client, not the SDK's module-level singleton, so nothing else in the process can
    // change our key or base URL. setApiKey resets baseUrl to the region's host, so override after it.
    const client = new Client();
    client.setApiKey(settings.sendgridApiKey);
    if (settings.sendgridApiBaseUrl) client.setDefaultRequest('baseUrl', settings.sendgridApiBaseUrl);
    this.mail = new MailService();
    this.mail.setClient(client);
    this.mail.setTimeout(REQUEST_TIMEOUT_MS);
  }

  async send(to: EmailRecipient, notification: Notification, threading?: EmailThreading): Promise<SendResult> {
    try {
      const [response] = await this.mail.send({
        to: { email: to.email, name: to.name },
        from: this.from,
        subject: notification.subject,
        text: notification.text,
        html: notification.html,
        ...(threading ? { replyTo: threading.replyTo, headers: threadingHeaders(threading) } : {}),
      });
      const messageId: unknown = response.headers?.['x-message-id'];
      return { providerMessageId: typeof messageId === 'string' ? messageId : undefined };
    } catch (error) {
      throw toDeliveryError(error, to.email);
    }
  }
}

function threadingHeaders(threading: EmailThreading): Record<string, string> {
  return {
    'Message-ID': threading.messageId,
    ...(threading.inReplyTo ? { 'In-Reply-To': threading.inReplyTo } : {}),
    ...(threading.references?.length ? { References: threading.references.join(' ') } : {}),
  };
}

/** SendGrid's ResponseError: `code` is the HTTP status, `response.body.errors[].message` the reason. */
interface SendgridResponseError {
  code: number;
  response?: { body?: { errors?: Array<{ message?: string }> } };
}

function toDeliveryError(error: unknown, recipient: string): unknown {
  const status = (error as Partial<SendgridResponseError> | null)?.code;
  if (typeof status === 'number') {
    const reason = (error as SendgridResponseError).response?.body?.errors?.[0]?.message ?? `HTTP ${status}`;
    return deliveryErrorForStatus(status, `SendGrid refused the email: ${redactRecipient(reason, recipient)}`);
  }
  if (isNetworkError(error)) return new TransientDeliveryError(`SendGrid unreachable: ${(error as Error).message}`);
  return error; // a bug on our side (e.g. the SDK rejecting malformed data): let it surface as is
}
