import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { NewAdminDto } from '../users/user.dto.js';
import { MAX_UNREAD_REMINDER_MINUTES, NOTIFICATION_MODES, type NotificationMode } from './organization.entity.js';

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

export class UpdateOrganizationSettingsDto {
  @ApiPropertyOptional({ enum: NOTIFICATION_MODES, description: 'privacy: notifications only say a message waits; convenience: they carry it' })
  @IsOptional()
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
}
