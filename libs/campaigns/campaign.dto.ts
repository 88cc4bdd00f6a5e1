import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsIn, IsISO8601, IsObject, IsOptional, IsString, IsUUID, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { CHANNELS, type Channel } from '../channels/channel.js';
import { PageQuery } from '../messages/dto/list-messages.query.js';
import { DeliveryScheduleDto, MAX_TITLE_LENGTH } from '../messages/dto/schedule-message.dto.js';
import { CAMPAIGN_STATUSES, type CampaignStatus } from './campaign.entity.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateCampaignDto extends DeliveryScheduleDto {
  @ApiProperty({ maxLength: 200, example: 'Open enrolment reminder' })
  @Transform(trim)
  @IsString({ message: 'name must be a string' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200, { message: 'name must be at most 200 characters' })
  name: string;

  @ApiProperty({ maxLength: MAX_TITLE_LENGTH, example: 'Hello {{recipient.firstName}}' })
  @Transform(trim)
  @IsString({ message: 'title must be a string' })
  @MinLength(1, { message: 'title must not be empty' })
  @MaxLength(MAX_TITLE_LENGTH, { message: `title must be at most ${MAX_TITLE_LENGTH} characters` })
  title: string;

  @ApiProperty({ description: 'plain text; may name {{recipient.name}}, {{recipient.firstName}} and {{organization.name}}' })
  @IsString({ message: 'body must be a string' })
  @MinLength(1, { message: 'body must not be empty' })
  body: string;

  @ApiProperty({ description: '{ userIds } | { segment: { roles?, programIds?, clientAccountIds?, teamIds? } } | { csvAttachmentId }' })
  @IsDefined({ message: 'audience is required' })
  @IsObject({ message: 'audience must be an object' })
  audience: unknown;

  @ApiPropertyOptional({ example: { email: 'sms' }, description: 'a channel for recipients whose email hard-bounces or is dropped' })
  @IsOptional()
  @IsObject({ message: 'fallback must be an object such as { "email": "sms" }' })
  fallback?: Record<string, unknown>;
}

export class ListCampaignsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CAMPAIGN_STATUSES })
  @IsOptional()
  @IsIn(CAMPAIGN_STATUSES, { message: `status must be one of ${CAMPAIGN_STATUSES.join(', ')}` })
  status?: CampaignStatus;
}

export class UpdateCampaignDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'only before the campaign starts; at most a year ahead' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'deliverAt must be an ISO 8601 date-time' })
  deliverAt?: string;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, description: 'any time; null keeps the messages' })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsISO8601({ strict: true }, { message: 'dismissAt must be an ISO 8601 date-time or null' })
  dismissAt?: string | null;
}

export class PreviewCampaignQuery {
  @ApiProperty({ format: 'uuid' })
  @IsDefined({ message: 'userId is required' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId: string;
}

export const RECIPIENT_STATUSES = ['pending', 'sent', 'failed', 'skipped', 'deferred'] as const;

export class ListCampaignRecipientsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: RECIPIENT_STATUSES })
  @IsOptional()
  @IsIn(RECIPIENT_STATUSES, { message: `status must be one of ${RECIPIENT_STATUSES.join(', ')}` })
  status?: (typeof RECIPIENT_STATUSES)[number];

  @ApiPropertyOptional({ enum: CHANNELS })
  @IsOptional()
  @IsIn(CHANNELS, { message: `channel must be one of ${CHANNELS.join(', ')}` })
  channel?: Channel;
}

export class PreviewCampaignDraftDto {
  @ApiProperty({ description: 'the title as written, with its {{variables}}' })
  @IsString({ message: 'title must be a string' })
  @MaxLength(MAX_TITLE_LENGTH, { message: `title must be at most ${MAX_TITLE_LENGTH} characters` })
  title: string;

  @ApiProperty({ description: 'the body as written, with its {{variables}}' })
  @IsString({ message: 'body must be a string' })
  body: string;

  @ApiProperty({ format: 'uuid', description: 'whose reading to show' })
  @IsDefined({ message: 'userId is required' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId: string;
}
