import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Organization } from '../organizations/organization.entity.js';

export const ROLES = ['admin', 'staff', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** A deactivated user cannot log in (their tokens stop working too) and nothing new is addressed to them. */
export const USER_STATUSES = ['active', 'deactivated'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

@Entity({ tableName: 'app_user' })
@Index({ properties: ['organization', 'createdAt'] })
@Index({ properties: ['coordinator'] })
export class User {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  /** Stored lower-cased; unique across the platform because login is by email alone. */
  @Property({ type: 'text', unique: true })
  email: string;

  @Property({ type: 'text' })
  name: string;

  @Enum({ items: () => ROLES, type: 'text' })
  role: Role;

  @Enum({ items: () => USER_STATUSES, type: 'text', default: 'active' })
  status: UserStatus = 'active';

  /** When the user was last deactivated; null while active. */
  @Property({ type: 'timestamptz', nullable: true })
  deactivatedAt: Date | null = null;

  /** E.164, e.g. +15551234567; without it SMS deliveries are skipped. */
  @Property({ type: 'text', nullable: true })
  phone: string | null = null;

  /** IANA time zone (e.g. America/Chicago) for quiet hours; null means the organisation's. */
  @Property({ type: 'text', nullable: true })
  timezone: string | null = null;

  /** Argon2id hash; null for users who cannot log in (e.g. recipients reached only by notifications). */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  passwordHash: string | null = null;

  /** A member's staff or admin contact person; the service enforces the roles. */
  @ManyToOne(() => User, { fieldName: 'coordinator_id', nullable: true, deleteRule: 'set null' })
  coordinator: User | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
