import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { NewAdminDto } from '../users/user.dto.js';
import {
  MAX_SESSION_IDLE_MINUTES,
  MAX_UNREAD_REMINDER_MINUTES,
  MIN_SESSION_IDLE_MINUTES,
  NOTIFICATION_MODES,
  type NotificationMode,
} from './organization.entity.js';

/** The longest SLA clock the chat-request settings accept: 30 days, in minutes. */
export const MAX_CHAT_REQUEST_MINUTES = 30 * 24 * 60;
export const MAX_CHAT_REQUEST_INTRO_LENGTH = 2000;

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Harbor Health' })
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200)
  name: string;

  @ApiProperty({ type: () => NewAdminDto })
  @IsDefined({ message: 'admin is required' })
  @ValidateNested()
  @Type(() => NewAdminDto)
  admin: NewAdminDto;
}

/** Absent leaves a setting as it is; null is no setting's value, so it is refused rather than ignored. */
const IfGiven = () => ValidateIf((_, value) => value !== undefined);

const SESSION_IDLE_MESSAGE = `sessionIdleMinutes must be a whole number from ${MIN_SESSION_IDLE_MINUTES} to ${MAX_SESSION_IDLE_MINUTES}`;

const MAX_LISTED_IDS = 500;

/** A list of ids in the settings; `field` is its full path, as errors name it. */
const IdList = (field: string) =>
  applyDecorators(
    IfGiven(),
    IsArray({ message: `${field} must be an array of ids` }),
    ArrayMaxSize(MAX_LISTED_IDS, { message: `${field} must list at most ${MAX_LISTED_IDS} ids` }),
    ArrayUnique({ message: `${field} must not repeat an id` }),
    IsUUID('all', { each: true, message: `${field} must contain only UUIDs` }),
  );

export class ContactMessagingSettingsDto {
  @ApiPropertyOptional({ description: 'contacts may message only their coordinator' })
  @IfGiven()
  @IsBoolean({ message: 'contactMessaging.restrictToCoordinator must be true or false' })
  restrictToCoordinator?: boolean;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'staff or admin users contacts may message' })
  @IdList('contactMessaging.allowedStaffIds')
  allowedStaffIds?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'teams contacts may message' })
  @IdList('contactMessaging.allowedTeamIds')
  allowedTeamIds?: string[];
}

/** Absent leaves a setting as it is; null clears it (for the settings whose value may be none). */
const IfGivenOrNull = () => ValidateIf((_, value) => value !== undefined && value !== null);

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

/** An SLA clock in the chat-request settings; `field` is its full path, as errors name it. */
const SlaMinutes = (field: string) => {
  const message = `${field} must be a whole number of minutes from 1 to ${MAX_CHAT_REQUEST_MINUTES}`;
  return applyDecorators(IfGiven(), IsInt({ message }), Min(1, { message }), Max(MAX_CHAT_REQUEST_MINUTES, { message }));
};

/** A working time of day; `field` is its full path. */
const TimeOfDay = (field: string) =>
  applyDecorators(
    IsDefined({ message: `${field} is required` }),
    IsString({ message: `${field} must be a time "HH:MM" from 00:00 to 23:59` }),
    Matches(TIME_OF_DAY, { message: `${field} must be a time "HH:MM" from 00:00 to 23:59` }),
  );

/** Given whole: every field is required. That the zone exists and the end comes after the start, the service checks (422). */
export class BusinessHoursDto {
  @ApiProperty({ example: 'America/New_York', description: 'an IANA time zone' })
  @IsDefined({ message: 'chatRequests.businessHours.timezone is required' })
  @IsString({ message: 'chatRequests.businessHours.timezone must be an IANA time zone such as America/New_York' })
  @MaxLength(100, { message: 'chatRequests.businessHours.timezone must be an IANA time zone such as America/New_York' })
  timezone: string;

  @ApiProperty({ type: [Number], example: [1, 2, 3, 4, 5], description: 'ISO weekdays: 1 Monday … 7 Sunday' })
  @IsDefined({ message: 'chatRequests.businessHours.days is required' })
  @IsArray({ message: 'chatRequests.businessHours.days must be a list of weekdays from 1 (Monday) to 7 (Sunday)' })
  @ArrayNotEmpty({ message: 'chatRequests.businessHours.days must name at least one weekday' })
  @ArrayUnique({ message: 'chatRequests.businessHours.days must not repeat a weekday' })
  @IsInt({ each: true, message: 'chatRequests.businessHours.days must be a list of weekdays from 1 (Monday) to 7 (Sunday)' })
  @Min(1, { each: true, message: 'chatRequests.businessHours.days must be a list of weekdays from 1 (Monday) to 7 (Sunday)' })
  @Max(7, { each: true, message: 'chatRequests.businessHours.days must be a list of weekdays from 1 (Monday) to 7 (Sunday)' })
  days: number[];

  @ApiProperty({ example: '08:00', description: 'opening time, "HH:MM" in the time zone' })
  @TimeOfDay('chatRequests.businessHours.start')
  start: string;

  @ApiProperty({ example: '17:00', description: 'closing time, "HH:MM", after the opening time' })
  @TimeOfDay('chatRequests.businessHours.end')
  end: string;
}

export class ChatRequestSettingsDto {
  @ApiPropertyOptional({ maxLength: MAX_CHAT_REQUEST_INTRO_LENGTH, description: 'shown to members above the Request a Chat form' })
  @IfGiven()
  @IsString({ message: `chatRequests.intro must be text of at most ${MAX_CHAT_REQUEST_INTRO_LENGTH} characters` })
  @MaxLength(MAX_CHAT_REQUEST_INTRO_LENGTH, { message: `chatRequests.intro must be text of at most ${MAX_CHAT_REQUEST_INTRO_LENGTH} characters` })
  intro?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_CHAT_REQUEST_MINUTES,
    description: 'minutes from a request to the first response (business minutes with business hours)',
  })
  @SlaMinutes('chatRequests.firstResponseMinutes')
  firstResponseMinutes?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_CHAT_REQUEST_MINUTES,
    description: 'minutes until a request still without a response is escalated; more than firstResponseMinutes',
  })
  @SlaMinutes('chatRequests.escalateAfterMinutes')
  escalateAfterMinutes?: number;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'a team of your organisation whose members supervise; null clears it' })
  @IfGivenOrNull()
  @IsUUID('all', { message: 'chatRequests.supervisorTeamId must be a UUID or null' })
  supervisorTeamId?: string | null;

  @ApiPropertyOptional({ type: () => BusinessHoursDto, nullable: true, description: 'the SLA clocks count only these hours; null turns them off' })
  @IfGivenOrNull()
  @IsObject({ message: 'chatRequests.businessHours must be an object or null' })
  @ValidateNested()
  @Type(() => BusinessHoursDto)
  businessHours?: BusinessHoursDto | null;
}

export class QuietHoursDto {
  @ApiProperty({ example: '21:00' })
  @TimeOfDay('quietHours.start')
  start: string;

  @ApiProperty({ example: '08:00', description: 'before start: the hours span midnight' })
  @TimeOfDay('quietHours.end')
  end: string;
}

export class UpdateOrganizationSettingsDto {
  @ApiPropertyOptional({ example: 'America/Chicago', description: 'IANA time zone of users who have none of their own (quiet hours)' })
  @IfGiven()
  @IsString({ message: 'timezone must be an IANA time zone such as America/Chicago' })
  @MaxLength(100, { message: 'timezone must be an IANA time zone such as America/Chicago' })
  timezone?: string;

  @ApiPropertyOptional({
    type: () => QuietHoursDto,
    nullable: true,
    description: 'campaign SMS and push wait outside these hours, in each recipient’s zone; null: never',
  })
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @IsObject({ message: 'quietHours must be an object { start, end } or null' })
  @ValidateNested()
  @Type(() => QuietHoursDto)
  quietHours?: QuietHoursDto | null;

  @ApiPropertyOptional({ enum: NOTIFICATION_MODES, description: 'privacy: notifications only say a message waits; convenience: they carry it' })
  @IfGiven()
  @IsIn(NOTIFICATION_MODES, { message: `notificationMode must be one of ${NOTIFICATION_MODES.join(', ')}` })
  notificationMode?: NotificationMode;

  @ApiPropertyOptional({ description: 'contacts (members) may reopen a closed conversation' })
  @IfGiven()
  @IsBoolean({ message: 'allowContactsToReopen must be true or false' })
  allowContactsToReopen?: boolean;

  @ApiPropertyOptional({ type: () => ContactMessagingSettingsDto, description: 'whom contacts may message; fields left out stay as they are' })
  @IfGiven()
  @IsObject({ message: 'contactMessaging must be an object' })
  @ValidateNested()
  @Type(() => ContactMessagingSettingsDto)
  contactMessaging?: ContactMessagingSettingsDto;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'users of your organisation told when a message is read' })
  @IdList('readNotificationUserIds')
  readNotificationUserIds?: string[];

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_UNREAD_REMINDER_MINUTES, description: 'remind about an unread message after this many minutes; 0 is off' })
  @IfGiven()
  @IsInt({ message: `unreadReminderMinutes must be a whole number from 0 to ${MAX_UNREAD_REMINDER_MINUTES}` })
  @Min(0, { message: `unreadReminderMinutes must be a whole number from 0 to ${MAX_UNREAD_REMINDER_MINUTES}` })
  @Max(MAX_UNREAD_REMINDER_MINUTES, { message: `unreadReminderMinutes must be a whole number from 0 to ${MAX_UNREAD_REMINDER_MINUTES}` })
  unreadReminderMinutes?: number;

  @ApiPropertyOptional({
    minimum: MIN_SESSION_IDLE_MINUTES,
    maximum: MAX_SESSION_IDLE_MINUTES,
    description: 'minutes a login may go unused before it ends (the automatic logoff); default 30',
  })
  @IfGiven()
  @IsInt({ message: SESSION_IDLE_MESSAGE })
  @Min(MIN_SESSION_IDLE_MINUTES, { message: SESSION_IDLE_MESSAGE })
  @Max(MAX_SESSION_IDLE_MINUTES, { message: SESSION_IDLE_MESSAGE })
  sessionIdleMinutes?: number;

  @ApiPropertyOptional({ type: () => ChatRequestSettingsDto, description: 'how chat requests become tasks; fields left out stay as they are' })
  @IfGiven()
  @IsObject({ message: 'chatRequests must be an object' })
  @ValidateNested()
  @Type(() => ChatRequestSettingsDto)
  chatRequests?: ChatRequestSettingsDto;
}
