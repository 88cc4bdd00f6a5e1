import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export const MAX_CANNED_TITLE_LENGTH = 200;
export const MAX_CANNED_BODY_BYTES = 64 * 1024;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateCannedResponseDto {
  @ApiProperty({ maxLength: MAX_CANNED_TITLE_LENGTH, example: 'Claim received', description: 'unique in your organisation' })
  @Transform(trim)
  @IsString({ message: 'title must be a string' })
  @MinLength(1, { message: 'title must not be empty' })
  @MaxLength(MAX_CANNED_TITLE_LENGTH, { message: `title must be at most ${MAX_CANNED_TITLE_LENGTH} characters` })
  title: string;

  @ApiProperty({ description: `rich text HTML, at most ${MAX_CANNED_BODY_BYTES} bytes; sanitized like a message body` })
  @IsString({ message: 'body must be a string' })
  @MinLength(1, { message: 'body must not be empty' })
  body: string;
}

export class UpdateCannedResponseDto {
  @ApiPropertyOptional({ maxLength: MAX_CANNED_TITLE_LENGTH })
  @IsOptional()
  @Transform(trim)
  @IsString({ message: 'title must be a string' })
  @MinLength(1, { message: 'title must not be empty' })
  @MaxLength(MAX_CANNED_TITLE_LENGTH, { message: `title must be at most ${MAX_CANNED_TITLE_LENGTH} characters` })
  title?: string;

  @ApiPropertyOptional({ description: `rich text HTML, at most ${MAX_CANNED_BODY_BYTES} bytes; sanitized like a message body` })
  @IsOptional()
  @IsString({ message: 'body must be a string' })
  @MinLength(1, { message: 'body must not be empty' })
  body?: string;
}
