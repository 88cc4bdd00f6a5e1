import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '@nestjs/common';
import { PermanentDeliveryError } from './channel.js';
import type { SendOutcome } from './notification-sender.js';
import { describeDeliveryError } from './providers/delivery-errors.js';

/** The columns every per-channel delivery record keeps, whatever it delivers. */
export interface DeliveryRecord {
  status: 'pending' | 'sent' | 'skipped' | 'failed';
  attempts: number;
  lastError: string | null;
  providerMessageId: string | null;
  sentAt: Date | null;
}

/**
 * One attempt at a send, written down either way: the outcome when it worked or did not apply, the
 * (masked) reason when it failed. A failure is rethrown for the caller's retry policy; a permanent one
 * also marks the record failed.
 */
export async function attemptDelivery(em: EntityManager, record: DeliveryRecord, send: () => Promise<SendOutcome>, logger: Logger, what: string): Promise<'sent' | 'skipped'> {
  record.attempts += 1;
  try {
    const outcome = await send();
    record.status = outcome.status;
    record.lastError = outcome.status === 'skipped' ? outcome.reason : null;
    record.providerMessageId = outcome.status === 'sent' ? (outcome.providerMessageId ?? null) : null;
    record.sentAt = outcome.status === 'sent' ? new Date() : null;
    await em.flush();
    return outcome.status;
  } catch (error) {
    record.lastError = describeDeliveryError(error);
    if (error instanceof PermanentDeliveryError) record.status = 'failed';
    await em.flush();
    logger.warn(`${what} attempt ${record.attempts} failed: ${record.lastError}`);
    throw error;
  }
}
