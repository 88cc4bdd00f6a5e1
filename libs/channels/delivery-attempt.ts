import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '@nestjs/common';
import type { TidingsMetrics } from '../metrics/tidings-metrics.js';
import { PermanentDeliveryError } from './channel.js';
import type { SendOutcome } from './notification-sender.js';
import { describeDeliveryError } from './providers/delivery-errors.js';

/** The columns every per-channel delivery record keeps, whatever it delivers. */
export interface DeliveryRecord {
  channel: string;
  status: 'pending' | 'sent' | 'skipped' | 'failed';
  attempts: number;
  lastError: string | null;
  providerMessageId: string | null;
  sentAt: Date | null;
}

/**
 * One attempt at a send, written down either way: the outcome when it worked or did not apply, the
 * (masked) reason when it failed. A failure is rethrown for the caller's retry policy; a permanent one
 * also marks the record failed. Each outcome is counted once it is written down.
 */
// TODO(delivery ledger): count where the ledger records outcomes (including resent_after_crash) and drop the metrics parameter here.
export async function attemptDelivery(em: EntityManager, record: DeliveryRecord, send: () => Promise<SendOutcome>, logger: Logger, what: string, metrics: Pick<TidingsMetrics, 'deliveryRecorded'>): Promise<'sent' | 'skipped'> {
  record.attempts += 1;
  try {
    const outcome = await send();
    record.status = outcome.status;
    record.lastError = outcome.status === 'skipped' ? outcome.reason : null;
    record.providerMessageId = outcome.status === 'sent' ? (outcome.providerMessageId ?? null) : null;
    record.sentAt = outcome.status === 'sent' ? new Date() : null;
    await em.flush();
    metrics.deliveryRecorded(record.channel, outcome.status);
    return outcome.status;
  } catch (error) {
    record.lastError = describeDeliveryError(error);
    if (error instanceof PermanentDeliveryError) record.status = 'failed';
    await em.flush();
    metrics.deliveryRecorded(record.channel, record.status === 'failed' ? 'failed' : 'retryable_failure');
    logger.warn(`${what} attempt ${record.attempts} failed: ${record.lastError}`);
    throw error;
  }
}
