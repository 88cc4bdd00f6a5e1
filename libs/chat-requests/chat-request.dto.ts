import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../messages/dto/list-messages.query.js';
import { TASK_STATUSES, type TaskStatus } from './chat-request.entity.js';

export const MAX_COMMENT_LENGTH = 2000;
export const MAX_OUTCOME_LENGTH = 2000;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateChatRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: "defaults to the member's only program; required when they have several" })
  @IsOptional()
  @IsUUID('all', { message: 'programId must be a UUID' })
  programId?: string;

  @ApiProperty({ format: 'uuid', description: "one of the organisation's active reasons" })
  @IsDefined({ message: 'reasonId is required' })
  @IsUUID('all', { message: 'reasonId must be a UUID' })
  reasonId: string;

  @ApiProperty({ maxLength: MAX_COMMENT_LENGTH })
  @Transform(trim)
  @IsDefined({ message: 'comment is required' })
  @IsString({ message: 'comment must be a string' })
  @MinLength(1, { message: 'comment must not be blank' })
  @MaxLength(MAX_COMMENT_LENGTH, { message: `comment must be at most ${MAX_COMMENT_LENGTH} characters` })
  comment: string;
}

export class ChangeChatRequestReasonDto {
  @ApiProperty({ format: 'uuid' })
  @IsDefined({ message: 'reasonId is required' })
  @IsUUID('all', { message: 'reasonId must be a UUID' })
  reasonId: string;

  @ApiPropertyOptional({ maxLength: MAX_COMMENT_LENGTH, description: 'replaces the comment when given' })
  @IsOptional()
  @Transform(trim)
  @IsString({ message: 'comment must be a string' })
  @MinLength(1, { message: 'comment must not be blank' })
  @MaxLength(MAX_COMMENT_LENGTH, { message: `comment must be at most ${MAX_COMMENT_LENGTH} characters` })
  comment?: string;
}

export class ListMemberChatRequestsQuery {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })
  status?: TaskStatus;
}

export class ListTasksQuery extends PageQuery {
  @ApiPropertyOptional({ description: '`me` (default) or a user id' })
  @IsOptional()
  @Matches(/^(me|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, { message: 'assignee must be "me" or a user id (UUID)' })
  assignee: string = 'me';

  @ApiPropertyOptional({ enum: TASK_STATUSES, default: 'open' })
  @IsOptional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })
  status: TaskStatus = 'open';

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'programId must be a UUID' })
  programId?: string;

  @ApiPropertyOptional({ description: 'only tasks past their first-response time' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'breached must be true or false' })
  breached?: 'true' | 'false';
}

export class ReassignTaskDto {
  @ApiProperty({ format: 'uuid' })
  @IsDefined({ message: 'assigneeId is required' })
  @IsUUID('all', { message: 'assigneeId must be a UUID' })
  assigneeId: string;
}

export class CloseTaskDto {
  @ApiProperty({ maxLength: MAX_OUTCOME_LENGTH, description: 'what came of it, for the record' })
  @Transform(trim)
  @IsDefined({ message: 'outcome is required' })
  @IsString({ message: 'outcome must be a string' })
  @MinLength(1, { message: 'outcome must not be blank' })
  @MaxLength(MAX_OUTCOME_LENGTH, { message: `outcome must be at most ${MAX_OUTCOME_LENGTH} characters` })
  outcome: string;
}
