import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-policy.js';

export class LoginDto {
  @ApiProperty({ example: 'admin@example.org' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email: string;

  @ApiProperty()
  @IsString()
  @MinLength(1, { message: 'password must not be empty' })
  @MaxLength(1024)
  password: string;
}

export class RefreshDto {
  @ApiPropertyOptional({ description: 'the refresh token from login or the last refresh; without it, the tidings_refresh cookie is used' })
  @IsOptional()
  @IsString({ message: 'refreshToken must be a string' })
  @MaxLength(200, { message: 'refreshToken is not a refresh token' })
  refreshToken?: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString({ message: 'currentPassword must be a string' })
  @MinLength(1, { message: 'currentPassword must not be empty' })
  @MaxLength(MAX_PASSWORD_LENGTH)
  currentPassword: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, description: 'at least 12 characters, and not one of the 10,000 most common passwords' })
  @IsString({ message: 'newPassword must be a string' })
  newPassword: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'the token from the link in the email (after #token=)' })
  @IsString({ message: 'token must be a string' })
  @MaxLength(200, { message: 'token is not a reset token' })
  token: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH })
  @IsString({ message: 'newPassword must be a string' })
  newPassword: string;
}
