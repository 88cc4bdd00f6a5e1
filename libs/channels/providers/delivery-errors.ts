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

/** Turns an HTTP status into the contract's error type; 2xx/3xx never reach here. */
export function deliveryErrorForStatus(status: number, reason: string): PermanentDeliveryError | TransientDeliveryError {
  return isRetryableStatus(status) ? new TransientDeliveryError(reason, status) : new PermanentDeliveryError(reason, status);
}

/** What is stored as a delivery's last error: the error's name and message, bounded. */
export function describeDeliveryError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 500);
}
