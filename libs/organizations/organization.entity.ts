import { Check, Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** What push, email and SMS may say: only that a message waits (privacy) or its title and body (convenience). */
export const NOTIFICATION_MODES = ['privacy', 'convenience'] as const;
export type NotificationMode = (typeof NOTIFICATION_MODES)[number];

/** Working hours in the organisation's time zone; `days` are ISO weekdays (1 Monday … 7 Sunday), times "HH:MM". */
export interface BusinessHours {
  timezone: string;
  days: number[];
  start: string;
  end: string;
}

export interface QuietHours {
  start: string;
  end: string;
}

export interface ChatRequestSettings {
  /** Shown to members above the Request a Chat form. */
  intro: string;
  /** From a request's creation to the care manager's first message in the chat (business minutes when `businessHours` is set). */
  firstResponseMinutes: number;
  /** From creation until a request still without a response is escalated to the supervisors; more than `firstResponseMinutes`. */
  escalateAfterMinutes: number;
  /** Its members, with the admins, are the supervisors. */
  supervisorTeamId: string | null;
  businessHours: BusinessHours | null;
}

export const DEFAULT_CHAT_REQUEST_SETTINGS: ChatRequestSettings = {
  intro: '',
  firstResponseMinutes: 60,
  escalateAfterMinutes: 240,
  supervisorTeamId: null,
  businessHours: null,
};

/** One week, the longest wait before an unread reminder that the settings accept. */
export const MAX_UNREAD_REMINDER_MINUTES = 7 * 24 * 60;

export const DEFAULT_SESSION_IDLE_MINUTES = 30;
export const MAX_SESSION_IDLE_MINUTES = 24 * 60;
export const MIN_SESSION_IDLE_MINUTES = 5;

@Entity({ tableName: 'organization' })
@Check({
  name: 'organization_unread_reminder_minutes_check',
  expression: `unread_reminder_minutes >= 0 AND unread_reminder_minutes <= ${MAX_UNREAD_REMINDER_MINUTES}`,
})
export class Organization {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @Property({ type: 'text' })
  name: string;

  @Enum({ items: () => NOTIFICATION_MODES, nativeEnumName: undefined, type: 'text' })
  notificationMode: NotificationMode = 'privacy';

  /** Whether a contact (a member) may reopen a closed conversation. */
  @Property({ type: 'boolean', default: false })
  allowContactsToReopen: boolean = false;

  /** Contacts may message only their coordinator; the allowed staff and team lists live in organization-settings.entity.ts. */
  @Property({ type: 'boolean', default: false })
  contactMessagingRestrictToCoordinator: boolean = false;

  /** Minutes after which an unread message earns a reminder; 0 turns reminders off. */
  @Property({ type: 'integer', default: 0 })
  unreadReminderMinutes: number = 0;

  /** How long a login lasts unused (its refresh token's idle lifetime): the automatic logoff. */
  @Property({ type: 'integer', default: DEFAULT_SESSION_IDLE_MINUTES })
  sessionIdleMinutes: number = DEFAULT_SESSION_IDLE_MINUTES;

  /** The default IANA time zone of its users (quiet hours, business dates). */
  @Property({ type: 'text', default: 'UTC' })
  timezone: string = 'UTC';

  /** SMS and push wait outside these hours, in each recipient's time zone ("21:00" to "08:00" spans midnight); null: never held. */
  @Property({ type: 'json', nullable: true })
  quietHours: QuietHours | null = null;

  /** How chat requests become tasks: the intro members read, the SLA clocks, supervisors and business hours. */
  @Property({ type: 'json' })
  chatRequestSettings: ChatRequestSettings = { ...DEFAULT_CHAT_REQUEST_SETTINGS };

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
