import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { DEFAULT_MESSAGE_PAGE, MAX_MESSAGE_PAGE } from './usecases/list-conversation-messages/list-conversation-messages.usecase.js';
import { PageQuery } from '../messages/dto/list-messages.query.js';
import { CONVERSATION_KINDS, type ConversationKind } from './conversation.entity.js';

export const MAX_SUBJECT_LENGTH = 200;
export const MAX_RECIPIENTS = 100;
export const MAX_ATTACHMENTS_PER_MESSAGE = 20;
export const FOLDERS = ['active', 'inactive'] as const;
export type Folder = (typeof FOLDERS)[number];

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const recipients = (field: string, required: boolean) => [
  IsArray({ message: `${field} must be an array of user ids` }),
  ...(required ? [ArrayMinSize(1, { message: `${field} must name at least one recipient` })] : []),
  ArrayMaxSize(MAX_RECIPIENTS, { message: `${field} must name at most ${MAX_RECIPIENTS} recipients` }),
  IsUUID('all', { each: true, message: `${field} must contain only user ids (UUIDs)` }),
];

function apply(decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

class MessageContentDto {
  @ApiPropertyOptional({ description: 'rich text (HTML) from the editor; sanitized with an allowlist. Required unless cannedResponseId is given' })
  @ValidateIf((_, value) => value !== undefined) // null is no body: refused, not taken as absent
  @IsString({ message: 'body must be a string of HTML' })
  body?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'your own uploads from POST /v1/attachments' })
  @IsOptional()
  @IsArray({ message: 'attachmentIds must be an array of attachment ids' })
  @ArrayMaxSize(MAX_ATTACHMENTS_PER_MESSAGE, { message: `attachmentIds must name at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments` })
  @IsUUID('all', { each: true, message: 'attachmentIds must contain only attachment ids (UUIDs)' })
  attachmentIds?: string[];

  @ApiPropertyOptional({ description: 'show the sender who has read the message' })
  @IsOptional()
  @IsBoolean({ message: 'readReceipt must be true or false' })
  readReceipt?: boolean;
}

export class StartConversationDto extends MessageContentDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'recipients are then limited to users with access to the account' })
  @IsOptional()
  @IsUUID('all', { message: 'clientAccountId must be a UUID' })
  clientAccountId?: string;

  @ApiProperty({ maxLength: MAX_SUBJECT_LENGTH })
  @Transform(trim)
  @IsString({ message: 'subject must be a string' })
  @MinLength(1, { message: 'subject must not be empty' })
  @MaxLength(MAX_SUBJECT_LENGTH, { message: `subject must be at most ${MAX_SUBJECT_LENGTH} characters` })
  subject: string;

  @ApiProperty({ type: [String], format: 'uuid' })
  @apply(recipients('to', true))
  to: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'contacts in CC are hidden from every other contact' })
  @IsOptional()
  @apply(recipients('cc', false))
  cc?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: "a canned response's body as the starting body, used when body is absent" })
  @IsOptional()
  @IsUUID('all', { message: 'cannedResponseId must be a UUID' })
  cannedResponseId?: string;
}

export class PostMessageDto extends MessageContentDto {}

export class AddParticipantsDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @apply(recipients('to', false))
  to?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @apply(recipients('cc', false))
  cc?: string[];
}

export class ListConversationsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: FOLDERS, default: 'active' })
  @IsOptional()
  @IsIn(FOLDERS, { message: `folder must be one of ${FOLDERS.join(', ')}` })
  folder: Folder = 'active';

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'clientAccountId must be a UUID' })
  clientAccountId?: string;

  @ApiPropertyOptional({ enum: CONVERSATION_KINDS, default: 'thread', description: "threads (the inbox), or chats (members' chats with their care managers)" })
  @IsOptional()
  @IsIn(CONVERSATION_KINDS, { message: `kind must be one of ${CONVERSATION_KINDS.join(', ')}` })
  kind: ConversationKind = 'thread';

  @ApiPropertyOptional({ description: 'words in the subject or in any message the caller may see (case-insensitive)', maxLength: 100 })
  @IsOptional()
  @IsString({ message: 'q must be text' })
  @MaxLength(100, { message: 'q must be at most 100 characters' })
  q?: string;
}

export class ListConversationMessagesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_MESSAGE_PAGE, default: DEFAULT_MESSAGE_PAGE })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(MAX_MESSAGE_PAGE, { message: `limit must be at most ${MAX_MESSAGE_PAGE}` })
  limit: number = DEFAULT_MESSAGE_PAGE;

  @ApiPropertyOptional({ description: 'olderMessagesCursor from the conversation or the previous page' })
  @IsOptional()
  @IsString({ message: 'before must be a cursor' })
  @MaxLength(100, { message: 'before is not a cursor this API returned' })
  before?: string;
}

export class MarkReadDto {
  @ApiPropertyOptional({ description: 'the sequence of the newest message the reader was shown; without it, everything there is now' })
  @IsOptional()
  @IsInt({ message: 'throughSequence must be a whole number' })
  @Min(0, { message: 'throughSequence must be at least 0' })
  throughSequence?: number;
}
