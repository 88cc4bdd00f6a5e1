import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { PROVIDER_CHANNELS, type ProviderChannel } from '../channels/channel.js';

export const DELIVERY_SUBJECT_TYPES = ['message', 'conversation_message', 'chat_request_event', 'campaign'] as const;
/** What is being delivered: a scheduled message, a notification about a conversation message, or about a step in a chat request's task. */
export type DeliverySubjectType = (typeof DELIVERY_SUBJECT_TYPES)[number];

export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'skipped', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const ATTEMPT_OUTCOMES = ['sent', 'skipped', 'failed', 'retrying', 'unknown', 'resent_after_crash'] as const;
/**
 * - `retrying`: the provider failed for now (429, 5xx, network); Temporal tries again.
 * - `unknown`: the worker stopped during the provider call, so whether it was sent cannot be known.
 * - `resent_after_crash`: sent again after an `unknown` attempt; the recipient may have it twice.
 */
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/**
 * The delivery ledger: one row per send of one subject to one recipient on one channel, of one kind
 * (a scheduled message is kind `message`; conversations send `new_message`, `unread_reminder`,
 * `read_receipt`), per target (each push subscription is a target; email and SMS have one, ''). The row
 * is claimed before the provider is called, so a retry that finds it `sending` under a live lease does
 * not send again.
 */
@Entity({ tableName: 'delivery' })
@Unique({ name: 'delivery_key_unique', properties: ['subjectType', 'subjectId', 'recipientId', 'channel', 'kind', 'aboutUserId', 'target'] })
export class Delivery {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @Property({ type: 'uuid' })
  organizationId: string;

  @Enum({ items: () => DELIVERY_SUBJECT_TYPES, type: 'text' })
  subjectType: DeliverySubjectType;

  @Property({ type: 'uuid' })
  subjectId: string;

  @Property({ type: 'uuid' })
  recipientId: string;

  @Enum({ items: () => PROVIDER_CHANNELS, type: 'text' })
  channel: ProviderChannel;

  @Property({ type: 'text' })
  kind: string;

  /** Whom it is about: the reader, for a read receipt; the recipient themself otherwise. */
  @Property({ type: 'uuid' })
  aboutUserId: string;

  /** The push subscription id for push; '' for email and SMS. */
  @Property({ type: 'text' })
  target: string = '';

  @Enum({ items: () => DELIVERY_STATUSES, type: 'text' })
  status: DeliveryStatus = 'pending';

  @Property({ type: 'integer' })
  attempts: number = 0;

  /** While `sending`: until when the attempt that claimed it may still be talking to the provider. */
  @Property({ type: 'timestamptz', nullable: true })
  leaseUntil: Date | null = null;

  /** Reason of the last failure or skip, with addresses masked; never message content. */
  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'text', nullable: true })
  providerMessageId: string | null = null;

  /** Held until then (quiet hours in the recipient's time zone); counted as `deferred` while it waits. */
  @Property({ type: 'timestamptz', nullable: true })
  notBefore: Date | null = null;

  /** When it should have reached the recipient: delivery lag is measured from here. */
  @Property({ type: 'timestamptz' })
  dueAt: Date;

  @Property({ type: 'timestamptz', nullable: true })
  sentAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** One attempt at a delivery: its timeline. */
@Entity({ tableName: 'delivery_attempt' })
export class DeliveryAttempt {
  @PrimaryKey({ type: 'uuid' })
  deliveryId: string;

  @PrimaryKey({ type: 'integer' })
  number: number;

  @Property({ type: 'timestamptz' })
  startedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null = null;

  /** null while the attempt is in flight. */
  @Enum({ items: () => ATTEMPT_OUTCOMES, type: 'text', nullable: true })
  outcome: AttemptOutcome | null = null;

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;
}
