import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** What push, email and SMS may say: only that a message waits (privacy) or its title and body (convenience). */
export const NOTIFICATION_MODES = ['privacy', 'convenience'] as const;
export type NotificationMode = (typeof NOTIFICATION_MODES)[number];

@Entity({ tableName: 'organization' })
export class Organization {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @Property({ type: 'text' })
  name: string;

  @Enum({ items: () => NOTIFICATION_MODES, nativeEnumName: undefined, type: 'text' })
  notificationMode: NotificationMode = 'privacy';

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
