import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { CHANNELS, type Channel } from '../../channels/channel.js';

export const MAX_TITLE_LENGTH = 200;
export const MAX_BODY_BYTES = 64 * 1024;

const TEMPLATE_DESCRIPTION =
  'may name {{recipient.name}}, {{recipient.firstName}} and {{organization.name}}, rendered for the recipient when the message is scheduled; nothing else in {{…}}';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** What anything scheduled is sent on, and when it arrives and leaves the message center (checked by deliveryWindow). */
export class DeliveryScheduleDto {
  @ApiProperty({ enum: CHANNELS, isArray: true, example: ['message_center', 'email'] })
  @IsArray({ message: 'channels must be an array' })
  @ArrayMinSize(1, { message: 'channels must name at least one channel' })
  @ArrayMaxSize(CHANNELS.length)
  @ArrayUnique({ message: 'channels must not repeat a channel' })
  @IsIn(CHANNELS, { each: true, message: `channels must contain only ${CHANNELS.join(', ')}` })
  channels: Channel[];

  @ApiPropertyOptional({ format: 'date-time', description: 'default: now; at most a year ahead' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'deliverAt must be an ISO 8601 date-time' })
  deliverAt?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'when the message leaves the message center; after deliverAt' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'dismissAt must be an ISO 8601 date-time' })
  dismissAt?: string;
}

export class ScheduleMessageDto extends DeliveryScheduleDto {
  @ApiProperty({ format: 'uuid', description: 'a user of your organisation' })
  @IsUUID('all', { message: 'recipientId must be a UUID' })
  recipientId: string;

  @ApiProperty({
    maxLength: MAX_TITLE_LENGTH,
    example: 'Your claim was approved, {{recipient.firstName}}',
    description: TEMPLATE_DESCRIPTION,
  })
  @Transform(trim)
  @IsString({ message: 'title must be a string' })
  @MinLength(1, { message: 'title must not be empty' })
  @MaxLength(MAX_TITLE_LENGTH, { message: `title must be at most ${MAX_TITLE_LENGTH} characters` })
  title: string;

  @ApiProperty({ description: `plain text, at most ${MAX_BODY_BYTES} bytes; ${TEMPLATE_DESCRIPTION}` })
  @IsString({ message: 'body must be a string' })
  @MinLength(1, { message: 'body must not be empty' })
  body: string;
}

export class RescheduleMessageDto {
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'deliverAt must be an ISO 8601 date-time' })
  deliverAt?: string;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, description: 'null keeps the message until it is read or removed' })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsISO8601({ strict: true }, { message: 'dismissAt must be an ISO 8601 date-time or null' })
  dismissAt?: string | null;
}
