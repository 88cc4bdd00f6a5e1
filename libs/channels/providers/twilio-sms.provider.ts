import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import type { AppConfig } from '../../config/app-config.js';
import { TransientDeliveryError, type Notification, type SendOptions, type SendResult, type SmsProvider } from '../channel.js';
import { deliveryErrorForStatus, isNetworkError, redactRecipient } from './delivery-errors.js';
import { requestTimeoutOf, runProviderRequest, type ProviderRequestOptions } from './provider-request.js';

/**
 * The caller's abort signal for the Twilio request running in this async context. Twilio's
 * RequestClient builds each axios config itself from a fixed list of fields, so a signal cannot be
 * passed down through messages.create(); an interceptor on the client's own axios instance (not the
 * global one) picks it up from here instead.
 */
const requestSignal = new AsyncLocalStorage<AbortSignal>();

/** Sends SMS through Twilio's Programmable Messaging API with the official SDK. */
export class TwilioSmsProvider implements SmsProvider {
  readonly name = 'twilio';
  readonly requestTimeoutMs: number;
  private readonly client: twilio.Twilio;
  private readonly fromNumber: string;

  constructor(settings: AppConfig['sms'], options: ProviderRequestOptions = {}) {
    const { twilioAccountSid, twilioAuthToken, twilioFromNumber } = settings;
    if (!twilioAccountSid || !twilioAuthToken || !twilioFromNumber) {
      throw new Error('TwilioSmsProvider needs sms.twilioAccountSid, sms.twilioAuthToken and sms.twilioFromNumber');
    }
    this.fromNumber = twilioFromNumber;
    this.requestTimeoutMs = requestTimeoutOf(options);
    // autoRetry stays off: retries belong to the caller's durable backoff, not to a blocked request.
    // The socket timeout matches the deadline so that it never cuts a slow answer short first.
    const httpClient = new twilio.RequestClient({ timeout: this.requestTimeoutMs, autoRetry: false });
    httpClient.axios.interceptors.request.use((config) => {
      config.signal = requestSignal.getStore();
      return config;
    });
    this.client = twilio(twilioAccountSid, twilioAuthToken, { httpClient });
    // The SDK has no base-URL option; each domain object holds its own, and the Messages resource
    // lives under the `api` domain (https://api.twilio.com), which builds every URL from this field.
    if (settings.twilioApiBaseUrl) this.client.api.baseUrl = settings.twilioApiBaseUrl;
  }

  async send(toPhone: string, notification: Notification, options: SendOptions = {}): Promise<SendResult> {
    // No idempotency key is sent: Twilio's Messages API has none, so a retry after a lost answer can send twice.
    return runProviderRequest('Twilio', this.requestTimeoutMs, options.signal, (signal) =>
      requestSignal.run(signal, async () => {
        try {
          const message = await this.client.messages.create({ to: toPhone, from: this.fromNumber, body: notification.text });
          return { providerMessageId: message.sid };
        } catch (error) {
          throw toDeliveryError(error, toPhone);
        }
      }),
    );
  }
}

/** RestException (legacy) and TwilioServiceException (RFC 9457) both carry `status` and Twilio's `code`. */
function toDeliveryError(error: unknown, recipient: string): unknown {
  const { status, code, message } = (error ?? {}) as { status?: unknown; code?: unknown; message?: unknown };
  if (typeof status === 'number') {
    const reason = redactRecipient(typeof message === 'string' ? message : `HTTP ${status}`, recipient);
    // Twilio's code (21211 invalid 'To', 21614 not a mobile, 21610 unsubscribed) says why, so keep it.
    const codeNote = typeof code === 'number' ? ` (Twilio error ${code})` : '';
    return deliveryErrorForStatus(status, `Twilio refused the SMS${codeNote}: ${reason}`);
  }
  if (isNetworkError(error)) return new TransientDeliveryError(`Twilio unreachable: ${(error as Error).message}`);
  return error;
}
