import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export const MAX_REASON_LABEL_LENGTH = 200;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateChatRequestReasonDto {
  @ApiProperty({ maxLength: MAX_REASON_LABEL_LENGTH, example: 'Question about my medication' })
  @Transform(trim)
  @IsString({ message: 'label must be a string' })
  @MinLength(1, { message: 'label must not be empty' })
  @MaxLength(MAX_REASON_LABEL_LENGTH, { message: `label must be at most ${MAX_REASON_LABEL_LENGTH} characters` })
  label: string;

  @ApiPropertyOptional({ default: true, description: 'members may choose only active reasons' })
  @IsOptional()
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;
}

export class UpdateChatRequestReasonDto {
  @ApiPropertyOptional({ maxLength: MAX_REASON_LABEL_LENGTH, description: 'requests already made keep the label they were made with' })
  @IsOptional()
  @Transform(trim)
  @IsString({ message: 'label must be a string' })
  @MinLength(1, { message: 'label must not be empty' })
  @MaxLength(MAX_REASON_LABEL_LENGTH, { message: `label must be at most ${MAX_REASON_LABEL_LENGTH} characters` })
  label?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;
}

export class ListChatRequestReasonsQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: only the reasons members may choose; false: only the retired ones' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'active must be true or false' })
  active?: 'true' | 'false';
}
