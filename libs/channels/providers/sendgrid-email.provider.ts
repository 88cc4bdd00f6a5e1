import * as sendgridClientModule from '@sendgrid/client';
import type sendgridClientSingleton from '@sendgrid/client';
import * as sendgridMailModule from '@sendgrid/mail';
import type sendgridMailSingleton from '@sendgrid/mail';
import type { AppConfig } from '../../config/app-config.js';
import {
  MAX_EMAIL_BATCH,
  TransientDeliveryError,
  type BatchEmail,
  type EmailProvider,
  type EmailRecipient,
  type EmailThreading,
  type Notification,
  type SendOptions,
  type SendResult,
} from '../channel.js';
import { deliveryErrorForStatus, isNetworkError, redactRecipient, retryAfterHeader } from './delivery-errors.js';
import { requestTimeoutOf, runProviderRequest, type ProviderRequestOptions } from './provider-request.js';

// @sendgrid 8.1.6 typings declare the `Client` and `MailService` classes as named exports beside
// `export =`, which TypeScript 7 rejects (TS2595). The runtime does export them, so retype them here.
// The client merges its default request into the axios config of every call, so axios options such
// as `signal` work there too; the typings list only SendGrid's own keys.
type SendgridClient = typeof sendgridClientSingleton & { setDefaultRequest(key: 'signal', value: AbortSignal): SendgridClient };
type SendgridMailService = typeof sendgridMailSingleton;
const { Client } = sendgridClientModule as unknown as { Client: new () => SendgridClient };
const { MailService } = sendgridMailModule as unknown as { MailService: new () => SendgridMailService };

/** Sends email through SendGrid's v3 Mail Send API with the official SDK. */
export class SendgridEmailProvider implements EmailProvider {
  readonly name = 'sendgrid';
  readonly requestTimeoutMs: number;
  private readonly apiKey: string;
  private readonly apiBaseUrl: string | undefined;
  private readonly from: string;
  /** `from` as the API takes it ("Name <address>" split as the mail helper splits it). */
  private readonly fromAddress: EmailAddressData;

  constructor(settings: AppConfig['email'], options: ProviderRequestOptions = {}) {
    if (!settings.sendgridApiKey) throw new Error('SendgridEmailProvider needs email.sendgridApiKey');
    this.apiKey = settings.sendgridApiKey;
    this.apiBaseUrl = settings.sendgridApiBaseUrl;
    this.from = settings.from;
    this.fromAddress = emailAddress(splitNameEmail(settings.from));
    this.requestTimeoutMs = requestTimeoutOf(options);
  }

  async send(to: EmailRecipient, notification: Notification, threading?: EmailThreading, options: SendOptions = {}): Promise<SendResult> {
    return runProviderRequest('SendGrid', this.requestTimeoutMs, options.signal, async (signal) => {
      try {
        const [response] = await this.mailServiceFor(signal).send({
          to: { email: to.email, name: to.name },
          from: this.from,
          subject: notification.subject,
          text: notification.text,
          html: notification.html,
          ...(threading ? { replyTo: threading.replyTo, headers: threadingHeaders(threading) } : {}),
          // Comes back on SendGrid's event webhook, so its events can be matched to the delivery.
          ...(options.deliveryId ? { customArgs: { delivery_id: options.deliveryId } } : {}),
        });
        const messageId: unknown = response.headers?.['x-message-id'];
        return { providerMessageId: typeof messageId === 'string' ? messageId : undefined };
      } catch (error) {
        throw toDeliveryError(error, to.email);
      }
    });
  }

  /**
   * One Mail Send request with a personalization per recipient: each its own address, subject, content
   * (as substitutions into one shared body) and delivery id (custom_args, for the event webhook).
   *
   * The body is written in the API's own (v3 JSON) shape and posted with the client, not through the mail
   * helper: for a thousand personalizations the helper deep-clones the data, rebuilds every
   * personalization as a class instance and converts every key's case twice over, several copies of the
   * whole batch alive at once while the request is built.
   */
  async sendBatch(emails: readonly BatchEmail[], options: Pick<SendOptions, 'signal'> = {}): Promise<SendResult> {
    if (emails.length === 0) return {};
    if (emails.length > MAX_EMAIL_BATCH) throw new Error(`a SendGrid batch holds at most ${MAX_EMAIL_BATCH} emails, not ${emails.length}`);
    // In the helper's order, so the request is byte for byte the one it would have sent.
    const body = {
      from: this.fromAddress,
      personalizations: emails.map(({ to, notification, deliveryId }) => ({
        to: [emailAddress(to)],
        substitutions: { [`{{${TEXT_TAG}}}`]: notification.text, [`{{${HTML_TAG}}}`]: notification.html },
        subject: notification.subject,
        custom_args: { delivery_id: deliveryId },
      })),
      content: [
        { type: 'text/plain', value: `{{${TEXT_TAG}}}` },
        { type: 'text/html', value: `{{${HTML_TAG}}}` },
      ],
    };
    return runProviderRequest('SendGrid', this.requestTimeoutMs, options.signal, async (signal) => {
      try {
        const [response] = await this.clientFor(signal).request({ method: 'POST', url: '/v3/mail/send', body });
        const messageId: unknown = response.headers?.['x-message-id'];
        return { providerMessageId: typeof messageId === 'string' ? messageId : undefined };
      } catch (error) {
        throw toDeliveryError(error, '');
      }
    });
  }

  /**
   * A client per request, because @sendgrid/client takes no per-call axios options: only its default
   * request reaches axios. Building one is a few object literals; connections are still pooled by
   * node's global agent. Dedicated rather than the SDK's module-level singleton, so nothing else in the
   * process can change our key or base URL. setApiKey resets baseUrl to the region's host, so override after it.
   */
  private mailServiceFor(signal: AbortSignal): SendgridMailService {
    const mail = new MailService();
    mail.setClient(this.clientFor(signal));
    return mail;
  }

  private clientFor(signal: AbortSignal): SendgridClient {
    const client = new Client();
    client.setApiKey(this.apiKey);
    if (this.apiBaseUrl) client.setDefaultRequest('baseUrl', this.apiBaseUrl);
    client.setDefaultRequest('signal', signal);
    return client;
  }
}

/** Where each personalization's own text and HTML go in the shared body (as {{tidings_text}}, {{tidings_html}}). */
const TEXT_TAG = 'tidings_text';
const HTML_TAG = 'tidings_html';

interface EmailAddressData {
  email: string;
  name?: string;
}

/** "Name <address>" (or a bare address) split as the mail helper splits it. */
function splitNameEmail(from: string): EmailAddressData {
  if (!from.includes('<')) return { email: from };
  const [name, email] = from.split('<');
  return { name: name.trim(), email: email.replace('>', '').trim() };
}

/** An address as the mail helper writes it: no `name` when there is none (or it is empty). */
function emailAddress({ email, name }: EmailAddressData): EmailAddressData {
  return name === undefined || name === '' ? { email } : { email, name };
}

function threadingHeaders(threading: EmailThreading): Record<string, string> {
  return {
    'Message-ID': threading.messageId,
    ...(threading.inReplyTo ? { 'In-Reply-To': threading.inReplyTo } : {}),
    ...(threading.references?.length ? { References: threading.references.join(' ') } : {}),
  };
}

/**
 * SendGrid's ResponseError: `code` is the HTTP status, `response.body.errors[].message` the reason,
 * `response.headers` axios's headers of the answer (with Retry-After on a 429).
 */
interface SendgridResponseError {
  code: number;
  response?: { headers?: unknown; body?: { errors?: Array<{ message?: string }> } };
}

function toDeliveryError(error: unknown, recipient: string): unknown {
  const status = (error as Partial<SendgridResponseError> | null)?.code;
  if (typeof status === 'number') {
    const { response } = error as SendgridResponseError;
    const reason = response?.body?.errors?.[0]?.message ?? `HTTP ${status}`;
    return deliveryErrorForStatus(status, `SendGrid refused the email: ${redactRecipient(reason, recipient)}`, retryAfterHeader(response?.headers));
  }
  if (isNetworkError(error)) return new TransientDeliveryError(`SendGrid unreachable: ${(error as Error).message}`);
  return error; // a bug on our side (e.g. the SDK rejecting malformed data): let it surface as is
}
