import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { CHANNELS, type Channel } from '../channels/channel.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

export const CAMPAIGN_STATUSES = ['scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Who a campaign is for, as the admin gave it; snapshotted into campaign_recipient at `deliverAt`. */
export type CampaignAudience =
  | { userIds: string[] }
  | { segment: { roles?: string[]; programIds?: string[]; clientAccountIds?: string[]; teamIds?: string[] } }
  | { csvAttachmentId: string };

/** A channel to fall back to for a recipient whose send on another failed for good (e.g. `{ email: 'sms' }`). */
export type CampaignFallback = Partial<Record<'email', 'sms'>>;

/** One message to many users, run by the workflow `campaign-<id>`. */
@Entity({ tableName: 'campaign' })
@Index({ properties: ['organization', 'createdAt'] })
@Unique({ name: 'campaign_idempotency_key_unique', properties: ['createdBy', 'idempotencyKey'] })
export class Campaign {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @Property({ type: 'text' })
  name: string;

  /** Handlebars templates over the recipient and organisation (recipient-template.ts). */
  @Property({ type: 'text' })
  title: string;

  @Property({ type: 'text' })
  body: string;

  @Enum({ items: () => CHANNELS, array: true, type: 'text[]' })
  channels: Channel[];

  @Property({ type: 'timestamptz' })
  deliverAt: Date;

  /** When every one of its messages leaves the message center, by one rule (message-center.service.ts). */
  @Property({ type: 'timestamptz', nullable: true })
  dismissAt: Date | null = null;

  @Property({ type: 'json' })
  audience: CampaignAudience;

  @Property({ type: 'json', nullable: true })
  fallback: CampaignFallback | null = null;

  @Enum({ items: () => CAMPAIGN_STATUSES, type: 'text' })
  status: CampaignStatus = 'scheduled';

  /** Included and skipped recipients, once the audience is snapshotted. */
  @Property({ type: 'integer', nullable: true })
  recipients: number | null = null;

  @Property({ type: 'integer', nullable: true })
  skipped: number | null = null;

  @Property({ type: 'text' })
  workflowId: string;

  @ManyToOne(() => User, { fieldName: 'created_by_id' })
  createdBy: User;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  startedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  completedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  cancelledAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  pausedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  idempotencyKey: string | null = null;

  @Property({ type: 'text', nullable: true, hidden: true })
  requestHash: string | null = null;
}

export const CAMPAIGN_RECIPIENT_STATUSES = ['included', 'skipped'] as const;

/**
 * The audience as it was at `deliverAt`, one row per distinct recipient in order (`seq` from 1), so the
 * workflow works through it by position and never holds a list. Unknown users and unknown CSV rows are
 * `skipped`, with the reason and what was given; deactivated users are `skipped` (`deactivated`) with their id.
 */
@Entity({ tableName: 'campaign_recipient' })
export class CampaignRecipient {
  [PrimaryKeyProp]?: ['campaign', 'seq'];

  @ManyToOne(() => Campaign, { primary: true, fieldName: 'campaign_id', deleteRule: 'cascade' })
  campaign: Campaign;

  @PrimaryKey({ type: 'integer' })
  seq: number;

  @ManyToOne(() => User, { fieldName: 'user_id', nullable: true, deleteRule: 'set null' })
  user: User | null = null;

  /** What the audience named, for a skipped row of a list: the id or the CSV's email. */
  @Property({ type: 'text', nullable: true })
  given: string | null = null;

  @Enum({ items: () => CAMPAIGN_RECIPIENT_STATUSES, type: 'text' })
  status: (typeof CAMPAIGN_RECIPIENT_STATUSES)[number];

  @Property({ type: 'text', nullable: true })
  skipReason: string | null = null;
}
