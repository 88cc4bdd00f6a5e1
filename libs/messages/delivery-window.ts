import { createHash } from 'node:crypto';
import { fieldError } from '../http/api-error.filter.js';

/** At most a year ahead. */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3600_000;
/** A deliverAt this little in the past is the caller's clock, not a mistake: deliver now. */
export const PAST_TOLERANCE_MS = 5 * 60_000;

/**
 * When something scheduled (a message, a campaign) is delivered and leaves the message center, from the
 * request: `deliverAt` defaults to now, may be at most a year ahead and not in the past; `dismissAt`
 * comes after it. Each refusal names its field.
 */
export function deliveryWindow(given: { deliverAt?: string; dismissAt?: string }, now = Date.now()): { deliverAt: Date; dismissAt: Date | null } {
  const deliverAt = given.deliverAt ? new Date(given.deliverAt) : new Date(now);
  if (deliverAt.getTime() < now - PAST_TOLERANCE_MS) throw fieldError('deliverAt', 'must not be in the past');
  if (deliverAt.getTime() > now + MAX_SCHEDULE_AHEAD_MS) throw fieldError('deliverAt', 'must be at most a year ahead');
  const dismissAt = given.dismissAt ? new Date(given.dismissAt) : null;
  if (dismissAt && dismissAt <= deliverAt) throw fieldError('dismissAt', 'must be after deliverAt');
  return { deliverAt, dismissAt };
}

/**
 * An `Idempotency-Key` as clients may send it (1 to 200 visible ASCII characters), and the hash of the
 * request it came with: a retry with the same key and request gets the first answer, with another request a 409.
 */
export function idempotentRequest(idempotencyKey: string | undefined, request: unknown): { idempotencyKey: string | undefined; requestHash: string } {
  if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey))
    throw fieldError('Idempotency-Key', 'must be 1 to 200 visible ASCII characters');
  return { idempotencyKey, requestHash: createHash('sha256').update(JSON.stringify(request)).digest('hex') };
}
