import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export const DELIVERY_EVENTS = ['delivered', 'bounced', 'dropped', 'deferred'] as const;
/**
 * What the provider reported after it accepted a send:
 * - `delivered`: the receiving server accepted it.
 * - `bounced`: the receiving server refused it for good (a hard bounce); the delivery failed.
 * - `dropped`: the provider did not send it (e.g. the address is on its suppression list); the delivery failed.
 * - `deferred`: delivery is delayed and the provider keeps trying; a temporary block (`blocked: …`) is one too.
 */
export type DeliveryEventKind = (typeof DELIVERY_EVENTS)[number];

/**
 * One event of the provider about a delivery, recorded once however often the provider repeats it
 * (`providerEventId`, SendGrid's `sg_event_id`). Shown in the delivery's timeline after its attempts.
 */
@Entity({ tableName: 'delivery_event' })
@Index({ name: 'delivery_event_delivery_id_index', properties: ['deliveryId', 'occurredAt'] })
export class DeliveryEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @Property({ type: 'uuid' })
  deliveryId: string;

  @Enum({ items: () => DELIVERY_EVENTS, type: 'text' })
  event: DeliveryEventKind;

  /** The provider's reason or the receiving server's reply, with addresses masked. */
  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  @Property({ type: 'text' })
  @Unique({ name: 'delivery_event_provider_event_id_unique' })
  providerEventId: string;

  /** When it happened, by the provider's clock (whole seconds for SendGrid). */
  @Property({ type: 'timestamptz' })
  occurredAt: Date;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
