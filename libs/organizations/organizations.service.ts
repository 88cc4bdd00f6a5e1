import { EntityClass, EntityManager, LockMode } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { isValidTimezone } from '../time/time-zones.js';
import { fieldError } from '../http/api-error.filter.js';
import { Team } from '../teams/team.entity.js';
import { User, type Role } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { ChatRequestSettingsDto, CreateOrganizationDto, UpdateOrganizationSettingsDto } from './organization.dto.js';
import { ContactMessagingStaff, ContactMessagingTeam, ReadNotificationRecipient } from './organization-settings.entity.js';
import { DEFAULT_CHAT_REQUEST_SETTINGS, Organization, type ChatRequestSettings, type NotificationMode, type QuietHours } from './organization.entity.js';

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  /** An organisation is born with its first admin, in one transaction: never one without the other. */
  async create(dto: CreateOrganizationDto) {
    return this.em.transactional(async () => {
      const organization = this.em.create(Organization, { ...new Organization(), name: dto.name.trim() });
      await this.em.flush();
      const admin = await this.users.create(organization.id, { ...dto.admin, role: 'admin' });
      return { organization: { id: organization.id, name: organization.name }, admin: { id: admin.id, email: admin.email } };
    });
  }

  async settings(organizationId: string): Promise<OrganizationSettings> {
    const organization = await this.em.findOne(Organization, organizationId);
    if (!organization) throw new NotFoundException('organization not found');
    const staff = await this.em.find(ContactMessagingStaff, { organization: organizationId }, { orderBy: { createdAt: 'asc', user: 'asc' } });
    const teams = await this.em.find(ContactMessagingTeam, { organization: organizationId }, { orderBy: { createdAt: 'asc', team: 'asc' } });
    const readers = await this.em.find(ReadNotificationRecipient, { organization: organizationId }, { orderBy: { createdAt: 'asc', user: 'asc' } });
    return {
      notificationMode: organization.notificationMode,
      allowContactsToReopen: organization.allowContactsToReopen,
      contactMessaging: {
        restrictToCoordinator: organization.contactMessagingRestrictToCoordinator,
        allowedStaffIds: staff.map((row) => row.user.id),
        allowedTeamIds: teams.map((row) => row.team.id),
      },
      readNotificationUserIds: readers.map((row) => row.user.id),
      unreadReminderMinutes: organization.unreadReminderMinutes,
      sessionIdleMinutes: organization.sessionIdleMinutes,
      chatRequests: withChatRequestDefaults(organization.chatRequestSettings),
      timezone: organization.timezone,
      quietHours: organization.quietHours,
    };
  }

  /** The organisation's chat-request settings as stored, with the defaults for any key missing. */
  async chatRequestSettings(organizationId: string): Promise<ChatRequestSettings> {
    const [row] = await this.em.execute<Array<{ chat_request_settings: Partial<ChatRequestSettings> | null }>>(
      `select chat_request_settings from organization where id = ?`,
      [organizationId],
    );
    if (!row) throw new NotFoundException('organization not found');
    return withChatRequestDefaults(row.chat_request_settings);
  }

  /** Only the settings given change; a list given replaces the old one, keeping when its remaining ids were added. */
  async updateSettings(caller: AuthUser, dto: UpdateOrganizationSettingsDto): Promise<OrganizationSettings> {
    const organizationId = caller.organizationId;
    const given = JSON.parse(JSON.stringify(dto)) as Record<string, unknown>;
    if (!Object.keys(given).length) return this.settings(organizationId);
    const { allowedStaffIds, allowedTeamIds, restrictToCoordinator } = dto.contactMessaging ?? {};
    if (allowedStaffIds) await this.refuseUnknownUsers(organizationId, allowedStaffIds, 'contactMessaging.allowedStaffIds', ['admin', 'staff']);
    if (allowedTeamIds) await this.refuseUnknownTeams(organizationId, allowedTeamIds, 'contactMessaging.allowedTeamIds');
    // Read receipts name who read what: only the organisation's own people may be told, never a contact.
    if (dto.readNotificationUserIds) await this.refuseUnknownUsers(organizationId, dto.readNotificationUserIds, 'readNotificationUserIds', ['admin', 'staff']);
    const chatRequests = dto.chatRequests;
    if (chatRequests) await this.refuseBadChatRequestSettings(organizationId, chatRequests);
    if (dto.timezone !== undefined && !isValidTimezone(dto.timezone))
      throw fieldError('timezone', `must be an IANA time zone such as America/Chicago; not ${dto.timezone}`, 422);
    if (dto.quietHours && dto.quietHours.start === dto.quietHours.end) throw fieldError('quietHours.end', 'must differ from quietHours.start', 422);
    await this.em.transactional(async (em) => {
      // Locked when the chat-request settings change: whether escalation comes after the first response is
      // decided on the combined settings, so two PATCHes must not each check against what the other replaces.
      const organization = await em.findOneOrFail(Organization, organizationId, chatRequests ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : {});
      if (dto.notificationMode) organization.notificationMode = dto.notificationMode;
      if (dto.allowContactsToReopen !== undefined) organization.allowContactsToReopen = dto.allowContactsToReopen;
      if (restrictToCoordinator !== undefined) organization.contactMessagingRestrictToCoordinator = restrictToCoordinator;
      if (dto.unreadReminderMinutes !== undefined) organization.unreadReminderMinutes = dto.unreadReminderMinutes;
      if (dto.sessionIdleMinutes !== undefined) organization.sessionIdleMinutes = dto.sessionIdleMinutes;
      if (chatRequests) organization.chatRequestSettings = mergeChatRequestSettings(organization.chatRequestSettings, chatRequests);
      if (dto.timezone !== undefined) organization.timezone = dto.timezone;
      if (dto.quietHours !== undefined) organization.quietHours = dto.quietHours && { start: dto.quietHours.start, end: dto.quietHours.end };
      await em.flush();
      if (allowedStaffIds) await replaceList(em, ContactMessagingStaff, 'user', organizationId, allowedStaffIds);
      if (allowedTeamIds) await replaceList(em, ContactMessagingTeam, 'team', organizationId, allowedTeamIds);
      if (dto.readNotificationUserIds) await replaceList(em, ReadNotificationRecipient, 'user', organizationId, dto.readNotificationUserIds);
      await this.audit.recordBy(caller, 'organization.settings_updated', 'organization', organizationId, given);
    });
    return this.settings(organizationId);
  }

  /** What the DTO cannot check alone: the zone exists, the day's end comes after its start, the team is the organisation's. */
  private async refuseBadChatRequestSettings(organizationId: string, dto: ChatRequestSettingsDto): Promise<void> {
    const hours = dto.businessHours;
    if (hours) {
      if (!isValidTimezone(hours.timezone)) {
        throw fieldError('chatRequests.businessHours.timezone', `must be an IANA time zone such as America/New_York; not ${hours.timezone}`, 422);
      }
      if (hours.end <= hours.start) throw fieldError('chatRequests.businessHours.end', `must be after chatRequests.businessHours.start (${hours.start})`, 422);
    }
    if (dto.supervisorTeamId && !(await this.em.count(Team, { id: dto.supervisorTeamId, organization: organizationId }))) {
      throw fieldError('chatRequests.supervisorTeamId', `must name a team of your organization; not ${dto.supervisorTeamId}`, 422);
    }
  }

  private async refuseUnknownUsers(organizationId: string, ids: string[], field: string, roles?: Role[]): Promise<void> {
    const found = await this.em.find(User, { id: { $in: ids }, organization: organizationId, ...(roles ? { role: { $in: roles } } : {}) });
    const unknown = ids.filter((id) => !found.some((user) => user.id === id));
    const what = roles ? 'staff or admin users' : 'users';
    if (unknown.length) throw fieldError(field, `must name only ${what} of your organization; not ${unknown.join(', ')}`, 422);
  }

  private async refuseUnknownTeams(organizationId: string, ids: string[], field: string): Promise<void> {
    const found = await this.em.find(Team, { id: { $in: ids }, organization: organizationId });
    const unknown = ids.filter((id) => !found.some((team) => team.id === id));
    if (unknown.length) throw fieldError(field, `must name only teams of your organization; not ${unknown.join(', ')}`, 422);
  }
}

export interface OrganizationSettings {
  notificationMode: NotificationMode;
  allowContactsToReopen: boolean;
  contactMessaging: { restrictToCoordinator: boolean; allowedStaffIds: string[]; allowedTeamIds: string[] };
  readNotificationUserIds: string[];
  unreadReminderMinutes: number;
  sessionIdleMinutes: number;
  chatRequests: ChatRequestSettings;
  timezone: string;
  quietHours: QuietHours | null;
}

/** Stored settings with the defaults for any key missing (rows written before a key existed). */
export function withChatRequestDefaults(stored: Partial<ChatRequestSettings> | null | undefined): ChatRequestSettings {
  const settings = { ...DEFAULT_CHAT_REQUEST_SETTINGS };
  for (const key of Object.keys(settings) as Array<keyof ChatRequestSettings>) {
    if (stored?.[key] !== undefined) (settings as Record<string, unknown>)[key] = stored[key];
  }
  return settings;
}

/**
 * The settings after a PATCH: the fields given replace the stored ones (business hours as a whole, null
 * turning them off), the others stay. Escalation must still come after the first response (422 otherwise).
 */
function mergeChatRequestSettings(stored: Partial<ChatRequestSettings> | null, dto: ChatRequestSettingsDto): ChatRequestSettings {
  const next = withChatRequestDefaults(stored);
  if (dto.intro !== undefined) next.intro = dto.intro;
  if (dto.firstResponseMinutes !== undefined) next.firstResponseMinutes = dto.firstResponseMinutes;
  if (dto.escalateAfterMinutes !== undefined) next.escalateAfterMinutes = dto.escalateAfterMinutes;
  if (dto.supervisorTeamId !== undefined) next.supervisorTeamId = dto.supervisorTeamId;
  if (dto.businessHours !== undefined) {
    const hours = dto.businessHours;
    next.businessHours = hours && { timezone: hours.timezone, days: [...hours.days].sort((a, b) => a - b), start: hours.start, end: hours.end };
  }
  if (next.escalateAfterMinutes <= next.firstResponseMinutes) {
    throw fieldError(
      'chatRequests.escalateAfterMinutes',
      `must be more than chatRequests.firstResponseMinutes (${next.escalateAfterMinutes} is not more than ${next.firstResponseMinutes})`,
      422,
    );
  }
  return next;
}

async function replaceList<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  key: 'user' | 'team',
  organizationId: string,
  ids: string[],
): Promise<void> {
  await em.nativeDelete(entity, { organization: organizationId, [key]: { $nin: ids } } as never);
  if (!ids.length) return;
  const addedAt = new Date();
  const rows = ids.map((id) => ({ organization: organizationId, [key]: id, createdAt: addedAt }));
  await em
    .createQueryBuilder(entity)
    .insert(rows as never)
    .onConflict()
    .ignore()
    .execute('run');
}
