import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import type { Delivery } from '../delivery/delivery.entity.js';

/** The provider's word for a send that failed for good: a hard bounce, or a message it would not send. */
export type HardFailureEvent = 'bounce' | 'dropped';

/**
 * Hears of one delivery that failed for good, inside the transaction that records the event and fails the
 * delivery: `em` is that transaction's. A listener only writes down what is to happen (rows, outbox
 * entries, through `em`); it never calls a provider or Temporal itself, since the transaction may yet
 * roll back.
 */
export type HardFailureListener = (em: EntityManager, delivery: Delivery, event: HardFailureEvent) => Promise<void>;

/**
 * Where other modules hear of provider events that matter to them (campaigns: fall back to SMS when an
 * email bounces). A listener is called once per delivery that failed for good, in the same transaction
 * that stores the event and marks the delivery `failed`; never for a repeated event. So what it writes is
 * committed with the event or not at all: a webhook answered 200 (which SendGrid never sends again) always
 * has its listeners' work stored. A listener that throws rolls the whole post back, and the webhook
 * answers 500, so SendGrid posts the batch again later, and every listener hears it then.
 */
@Injectable()
export class ProviderEventHooks {
  private readonly logger = new Logger(ProviderEventHooks.name);
  private readonly hardFailureListeners = new Set<HardFailureListener>();

  /** Registers `listener`; returns what unregisters it. */
  onHardFailure(listener: HardFailureListener): () => void {
    this.hardFailureListeners.add(listener);
    return () => this.hardFailureListeners.delete(listener);
  }

  /** Tells every listener, one after the other, inside the caller's transaction (`em`). */
  async hardFailure(em: EntityManager, delivery: Delivery, event: HardFailureEvent): Promise<void> {
    for (const listener of this.hardFailureListeners) {
      try {
        await listener(em, delivery, event);
      } catch (error) {
        this.logger.error(
          `a hard-failure listener failed for delivery ${delivery.id} (${event}); the post is rolled back for SendGrid to retry: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw error;
      }
    }
  }
}
