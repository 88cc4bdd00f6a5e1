import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { PageQuery } from '../messages/dto/list-messages.query.js';
import { ROLES, USER_STATUSES, type Role, type UserStatus } from './user.entity.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateUserDto {
  @ApiProperty({ example: 'member@example.org' })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'Mia Member' })
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200)
  name: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role: Role;

  @ApiPropertyOptional({ example: '+15551234567', description: 'E.164; needed for SMS' })
  @IsOptional()
  @Matches(/^\+[1-9]\d{6,14}$/, { message: 'phone must be an E.164 number such as +15551234567' })
  phone?: string;

  @ApiPropertyOptional({ minLength: 12, description: 'without one the user cannot log in' })
  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'password must be at least 12 characters long' })
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ example: 'America/Chicago', nullable: true, description: "IANA time zone for quiet hours; none means the organisation's" })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsString({ message: 'timezone must be an IANA time zone such as America/Chicago, or null' })
  @MaxLength(100, { message: 'timezone must be an IANA time zone such as America/Chicago, or null' })
  timezone?: string | null;
}

/** An organisation's first admin: always able to log in, so the password is required. */
export class NewAdminDto extends PickType(CreateUserDto, ['email', 'name'] as const) {
  @ApiProperty({ minLength: 12 })
  @IsString()
  @MinLength(12, { message: 'password must be at least 12 characters long' })
  @MaxLength(1024)
  password: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'member@example.org' })
  @IsOptional()
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ example: 'Mia Member' })
  @IsOptional()
  @Transform(trim)
  @IsString({ message: 'name must be a string' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ example: '+15551234567', nullable: true, description: 'E.164; null removes it' })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @Matches(/^\+[1-9]\d{6,14}$/, { message: 'phone must be an E.164 number such as +15551234567, or null' })
  phone?: string | null;

  @ApiPropertyOptional({ enum: ROLES, description: 'takes effect at once; the last active admin cannot be demoted (409)' })
  @ValidateIf((_, value) => value !== undefined)
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: "a member's coordinator: a staff or admin user of your organisation; null removes it" })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsUUID('all', { message: 'coordinatorId must be a UUID or null' })
  coordinatorId?: string | null;

  @ApiPropertyOptional({ example: 'America/Chicago', nullable: true, description: "IANA time zone for quiet hours; none means the organisation's" })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsString({ message: 'timezone must be an IANA time zone such as America/Chicago, or null' })
  @MaxLength(100, { message: 'timezone must be an IANA time zone such as America/Chicago, or null' })
  timezone?: string | null;

  @ApiPropertyOptional({
    enum: USER_STATUSES,
    description: 'deactivated: cannot log in, their tokens stop working, nothing new is addressed to them; the last active admin cannot be deactivated (409)',
  })
  @ValidateIf((_, value) => value !== undefined) // null is no status: refused, not ignored
  @IsIn(USER_STATUSES, { message: `status must be one of ${USER_STATUSES.join(', ')}` })
  status?: UserStatus;
}

export class ListUsersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional({ enum: USER_STATUSES })
  @IsOptional()
  @IsIn(USER_STATUSES, { message: `status must be one of ${USER_STATUSES.join(', ')}` })
  status?: UserStatus;

  @ApiPropertyOptional({ description: 'words in the name or email (case-insensitive)', maxLength: 100 })
  @IsOptional()
  @IsString({ message: 'q must be text' })
  @MaxLength(100, { message: 'q must be at most 100 characters' })
  q?: string;
}
