import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Who did what to which record, and when. Never message content: `details` holds ids and flags only.
 */
@Entity({ tableName: 'audit_event' })
@Index({ properties: ['organizationId', 'subjectType', 'subjectId'] })
export class AuditEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @Property({ type: 'uuid' })
  organizationId: string;

  /** Null when the platform itself acted (a workflow dismissing a message, say). */
  @Property({ type: 'uuid', nullable: true })
  actorId: string | null = null;

  @Property({ type: 'text' })
  action: string;

  @Property({ type: 'text' })
  subjectType: string;

  @Property({ type: 'uuid' })
  subjectId: string;

  @Property({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
