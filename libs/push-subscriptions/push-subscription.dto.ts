import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsNumber, IsOptional, IsString, IsUrl, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

export class PushKeysDto {
  @ApiProperty({ description: "the browser's P-256 public key, base64url" })
  @IsString()
  @Matches(BASE64URL, { message: 'keys.p256dh must be base64url' })
  @MaxLength(200)
  p256dh: string;

  @ApiProperty({ description: 'the 16-byte auth secret, base64url' })
  @IsString()
  @Matches(BASE64URL, { message: 'keys.auth must be base64url' })
  @MaxLength(100)
  auth: string;
}

/** Exactly what the browser's PushSubscription.toJSON() gives. */
export class CreatePushSubscriptionDto {
  @ApiProperty({
    example: 'https://fcm.googleapis.com/fcm/send/…',
    description: 'an https URL whose host resolves only to public addresses (422 naming endpoint otherwise)',
  })
  // The scheme and the host's addresses are checked by the service (checkPushEndpoint), as a 422 with the reason.
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'endpoint must be a URL' })
  @MaxLength(2000)
  endpoint: string;

  @ApiProperty({ type: () => PushKeysDto })
  @IsDefined({ message: 'keys is required' })
  @ValidateNested()
  @Type(() => PushKeysDto)
  keys: PushKeysDto;

  /** Browsers send it (almost always null); the push service's own expiry is learned from its 404/410 answers. */
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'when the browser says the subscription expires (ms since the epoch), or null' })
  @IsOptional()
  @ValidateIf((_dto, value) => value !== null)
  @IsNumber({}, { message: 'expirationTime must be a number of milliseconds or null' })
  expirationTime?: number | null;
}
