import { PermanentDeliveryError, TransientDeliveryError } from '../channel.js';

/**
 * 429 asks us to slow down and 5xx is the provider's own trouble: both are worth retrying. So is 401:
 * a rejected credential is our misconfiguration, not the recipient's, and messages should go out once
 * an operator fixes the key rather than fail for good.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 401 || status === 429 || status >= 500;
}

/**
 * A failure before any HTTP status arrived: refused/reset connections, DNS, timeouts, TLS.
 * Node system errors and axios errors carry a string `code` (ECONNREFUSED, ETIMEDOUT, ECONNABORTED...).
 * Duck-typed on purpose: errors raised inside node core may come from another realm (e.g. under jest's
 * vm sandbox), where `instanceof Error` is false.
 */
export function isNetworkError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, response, message } = error as { code?: unknown; response?: unknown; message?: unknown };
  return (typeof code === 'string' && response === undefined) || message === 'Socket timeout';
}

const EMAIL_LIKE = /[^\s<>"'()]+@[^\s<>"'()]+/g;
const PHONE_LIKE = /\+?\d[\d\s().-]{5,}\d/g;

/**
 * Provider reasons get logged and stored by callers, and some quote the recipient
 * (Twilio: "The 'To' number +1555... is not a valid phone number"), so addresses are masked.
 */
export function redactRecipient(reason: string, recipient: string): string {
  return reason.split(recipient).join('<recipient>').replace(EMAIL_LIKE, '<email>').replace(PHONE_LIKE, '<phone>');
}

/**
 * For email reasons, such as a receiving server's SMTP reply ("550 5.1.1 <a@b.org>: user unknown"): only
 * addresses are masked, since the reply's status codes would look like phone numbers.
 */
export function redactEmailAddresses(reason: string, recipient?: string): string {
  return (recipient ? reason.split(recipient).join('<recipient>') : reason).replace(EMAIL_LIKE, '<email>');
}

/**
 * The longest wait a provider's Retry-After may ask of a retry. Beyond it (a misconfigured header, or a
 * date far off because a clock is wrong) the retry comes after this long and the provider may say again.
 */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * A Retry-After header's value as a wait in milliseconds, at most MAX_RETRY_AFTER_MS: either delay-seconds
 * ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT", from `now`; 0 when already past). Undefined
 * when there is none or it makes no sense. A repeated header counts by its first value.
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first !== 'string') return undefined;
  const text = first.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else if (/[a-z]/i.test(text)) {
    // Only a date has letters (a weekday or month name); Date.parse would read "1.5" or "-3" as dates too.
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  } else return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The Retry-After header among response headers: a plain object (any case) or one with a `get`, such as axios's. */
export function retryAfterHeader(headers: unknown): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const { get } = headers as { get?: unknown };
  if (typeof get === 'function') {
    const value: unknown = get.call(headers, 'retry-after');
    if (value !== undefined && value !== null && value !== false) return value;
  }
  const key = Object.keys(headers).find((name) => name.toLowerCase() === 'retry-after');
  return key === undefined ? undefined : (headers as Record<string, unknown>)[key];
}

/**
 * Turns an HTTP status into the contract's error type; 2xx/3xx never reach here. The response's
 * Retry-After, for a 429 or 503, is kept on the error for the retry to wait that long.
 */
export function deliveryErrorForStatus(status: number, reason: string, retryAfter?: unknown): PermanentDeliveryError | TransientDeliveryError {
  if (!isRetryableStatus(status)) return new PermanentDeliveryError(reason, status);
  return new TransientDeliveryError(reason, status, status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined);
}

/** What is stored as a delivery's last error: the error's name and message, bounded. */
export function describeDeliveryError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 500);
}
