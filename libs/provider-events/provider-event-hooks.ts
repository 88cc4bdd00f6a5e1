import { Injectable, Logger } from '@nestjs/common';
import type { Delivery } from '../delivery/delivery.entity.js';

/** The provider's word for a send that failed for good: a hard bounce, or a message it would not send. */
export type HardFailureEvent = 'bounce' | 'dropped';

export type HardFailureListener = (delivery: Delivery, event: HardFailureEvent) => void | Promise<void>;

/**
 * Where other modules hear of provider events that matter to them (campaigns: fall back to SMS when an
 * email bounces). A listener is called once per delivery that failed for good, after the event is stored
 * and the delivery marked `failed`; never for a repeated event. It runs inside the webhook's request, after
 * the commit: a listener that must not be lost should only write down its work (e.g. an outbox entry)
 * there. A listener that throws is logged; it does not fail the webhook or the other listeners.
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

  /** Tells every listener, one after the other. */
  async hardFailure(delivery: Delivery, event: HardFailureEvent): Promise<void> {
    for (const listener of this.hardFailureListeners) {
      try {
        await listener(delivery, event);
      } catch (error) {
        this.logger.error(`a hard-failure listener failed for delivery ${delivery.id} (${event}): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
