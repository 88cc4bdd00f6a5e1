export { CHANNELS, PROVIDER_CHANNELS, isProviderChannel, type Channel, type ProviderChannel } from '../../workflows/channels.js';

/** A rendered notification, ready for a provider. In privacy mode it carries no message content. */
export interface Notification {
  subject: string;
  text: string;
  html: string;
  /** Deep link into the recipient's message center. */
  url: string;
}

export interface EmailRecipient {
  email: string;
  name: string;
}
export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface SendResult {
  providerMessageId?: string;
}

/** What lets a mail client thread a notification and lets its recipient answer it by email. */
export interface EmailThreading {
  /** A signed address that routes a reply back into the conversation. */
  replyTo?: string;
  /** RFC 5322 ids, angle brackets included. */
  messageId: string;
  inReplyTo?: string;
  references?: string[];
}

/** What the caller of a provider send controls beyond the message itself. */
export interface SendOptions {
  /** Aborts the provider request in flight, e.g. when the activity running it is cancelled or times out. */
  signal?: AbortSignal;
  /**
   * The delivery this attempt belongs to, the same on every retry: providers that can tell a resend
   * from a new message (Web Push Topic) or report events back (SendGrid custom_args) are given it.
   */
  deliveryId?: string;
}

/** One recipient's email in a batch: their own rendered notification, tagged with their delivery. */
export interface BatchEmail {
  to: EmailRecipient;
  notification: Notification;
  deliveryId: string;
}

/** At most this many emails go in one batch request (SendGrid's limit of personalizations per request). */
export const MAX_EMAIL_BATCH = 1000;

export interface EmailProvider {
  readonly name: string;
  send(to: EmailRecipient, notification: Notification, threading?: EmailThreading, options?: SendOptions): Promise<SendResult>;
  /** Up to MAX_EMAIL_BATCH emails, each with its own content, in one provider request: all accepted or all refused. */
  sendBatch(emails: readonly BatchEmail[], options?: Pick<SendOptions, 'signal'>): Promise<SendResult>;
}
export interface SmsProvider {
  readonly name: string;
  send(toPhone: string, notification: Notification, options?: SendOptions): Promise<SendResult>;
}
export interface PushProvider {
  readonly name: string;
  send(target: PushTarget, notification: Notification, options?: SendOptions): Promise<SendResult>;
}

export const EMAIL_PROVIDER = Symbol('EMAIL_PROVIDER');
export const SMS_PROVIDER = Symbol('SMS_PROVIDER');
export const PUSH_PROVIDER = Symbol('PUSH_PROVIDER');

/** The provider refused for good (invalid address or number): retrying cannot help. */
export class PermanentDeliveryError extends Error {
  constructor(
    message: string,
    readonly providerStatus?: number,
  ) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/**
 * The provider is busy or failing (429, 5xx, network): retry with backoff, or after `retryAfterMs` when the
 * provider said how long to wait (a Retry-After header on its 429 or 503).
 */
export class TransientDeliveryError extends Error {
  constructor(
    message: string,
    readonly providerStatus?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientDeliveryError';
  }
}

/** The push service says the subscription no longer exists (404/410): forget it. */
export class PushSubscriptionGoneError extends PermanentDeliveryError {
  constructor(
    readonly endpoint: string,
    providerStatus: number,
  ) {
    super(`push subscription is gone (HTTP ${providerStatus})`, providerStatus);
    this.name = 'PushSubscriptionGoneError';
  }
}

/**
 * The caller aborted the request (its signal fired). Whether the provider got the message is unknown,
 * so this is transient: a retry, if the caller still wants one, may send it again.
 */
export class DeliveryAbortedError extends TransientDeliveryError {
  constructor(provider: string) {
    super(`${provider} request aborted before the provider answered`);
    this.name = 'DeliveryAbortedError';
  }
}
