import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Where SendGrid's Event Webhook posts; its body is kept as raw bytes (apps/api/api.ts), because they are what is signed. */
export const SENDGRID_EVENTS_PATH = '/v1/webhooks/sendgrid/events';
/** SendGrid posts a batch every 30 s or at 768 KB, whichever comes first; room to spare. */
export const SENDGRID_EVENTS_BODY_LIMIT = '2mb';

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
/** A signed post older (or newer) than this is refused, so a captured one cannot be replayed later. */
export const SENDGRID_TIMESTAMP_TOLERANCE_SECONDS = 10 * 60;

/** The request the raw parser keeps: a POST to the event webhook, whatever its content type. */
export function isSendgridEventsRequest(request: IncomingMessage): boolean {
  return request.method === 'POST' && (request.url ?? '').split('?')[0].replace(/\/+$/, '') === SENDGRID_EVENTS_PATH;
}

/**
 * The verification key SendGrid shows under Mail Settings → Signed Event Webhook: base64 of a DER
 * SubjectPublicKeyInfo of an ECDSA P-256 key. PEM armour and whitespace are tolerated. Throws if it is not one.
 */
export function sendgridPublicKey(text: string): KeyObject {
  const base64 = text.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new Error('it is not base64');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new Error('it is not a DER public key');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('it is not an ECDSA P-256 key');
  return key;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * SendGrid's Signed Event Webhook: the signature header is a base64 DER ECDSA (SHA-256) signature, by
 * SendGrid's private key, of the timestamp header followed by the request body exactly as sent.
 */
export function checkSendgridSignature(input: {
  publicKey: KeyObject;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  body: unknown;
  now?: Date;
}): SignatureCheck {
  const { publicKey, signature, timestamp, body } = input;
  if (typeof signature !== 'string' || signature === '' || typeof timestamp !== 'string' || timestamp === '') {
    return { ok: false, reason: 'the request is not signed' };
  }
  if (!Buffer.isBuffer(body)) return { ok: false, reason: 'the request has no body to verify' };
  let valid: boolean;
  try {
    valid = verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    valid = false; // not a DER signature at all
  }
  if (!valid) return { ok: false, reason: 'the signature does not match' };
  // Checked after the signature, so the timestamp compared is the one SendGrid signed.
  const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
  const nowSeconds = (input.now ?? new Date()).getTime() / 1000;
  if (!Number.isFinite(seconds) || Math.abs(nowSeconds - seconds) > SENDGRID_TIMESTAMP_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'the signed timestamp is not within 10 minutes of now' };
  }
  return { ok: true };
}
