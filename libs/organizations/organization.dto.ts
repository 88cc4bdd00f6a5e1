import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsOptional, IsString, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { NewAdminDto } from '../users/user.dto.js';
import { NOTIFICATION_MODES, type NotificationMode } from './organization.entity.js';

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

export class UpdateOrganizationSettingsDto {
  @ApiPropertyOptional({ enum: NOTIFICATION_MODES, description: 'privacy: notifications only say a message waits; convenience: they carry it' })
  @IsOptional()
  @IsIn(NOTIFICATION_MODES, { message: `notificationMode must be one of ${NOTIFICATION_MODES.join(', ')}` })
  notificationMode?: NotificationMode;
}
