import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUUID, MaxLength, MinLength, ValidateIf } from 'class-validator';

export const MAX_PROGRAM_NAME_LENGTH = 200;
export const MAX_PROGRAM_DESCRIPTION_LENGTH = 2000;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateProgramDto {
  @ApiProperty({ maxLength: MAX_PROGRAM_NAME_LENGTH, example: 'Diabetes Care', description: 'unique in your organisation, whatever the case' })
  @Transform(trim)
  @IsString({ message: 'name must be a string' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(MAX_PROGRAM_NAME_LENGTH, { message: `name must be at most ${MAX_PROGRAM_NAME_LENGTH} characters` })
  name: string;

  @ApiPropertyOptional({ maxLength: MAX_PROGRAM_DESCRIPTION_LENGTH, nullable: true })
  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(MAX_PROGRAM_DESCRIPTION_LENGTH, { message: `description must be at most ${MAX_PROGRAM_DESCRIPTION_LENGTH} characters` })
  description?: string | null;
}

export class UpdateProgramDto {
  @ApiPropertyOptional({ maxLength: MAX_PROGRAM_NAME_LENGTH })
  @IsOptional()
  @Transform(trim)
  @IsString({ message: 'name must be a string' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(MAX_PROGRAM_NAME_LENGTH, { message: `name must be at most ${MAX_PROGRAM_NAME_LENGTH} characters` })
  name?: string;

  @ApiPropertyOptional({ maxLength: MAX_PROGRAM_DESCRIPTION_LENGTH, nullable: true, description: 'null removes it' })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsString({ message: 'description must be a string or null' })
  @MaxLength(MAX_PROGRAM_DESCRIPTION_LENGTH, { message: `description must be at most ${MAX_PROGRAM_DESCRIPTION_LENGTH} characters` })
  description?: string | null;
}

export class CreateEnrollmentDto {
  @ApiProperty({ format: 'uuid', description: 'a member of your organisation' })
  @IsUUID('all', { message: 'memberId must be a UUID' })
  memberId: string;

  @ApiProperty({ format: 'uuid', description: 'a staff or admin user of your organisation, who looks after the member in this program' })
  @IsUUID('all', { message: 'careManagerId must be a UUID' })
  careManagerId: string;
}

export class UpdateEnrollmentDto {
  @ApiProperty({ format: 'uuid', description: 'a staff or admin user of your organisation' })
  @IsUUID('all', { message: 'careManagerId must be a UUID' })
  careManagerId: string;
}
