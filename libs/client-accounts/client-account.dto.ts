import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, IsUUID, MaxLength, MinLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateClientAccountDto {
  @ApiProperty({ example: 'Acme Logistics' })
  @Transform(trim)
  @IsString({ message: 'name must be a string' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200, { message: 'name must be at most 200 characters' })
  name: string;
}

export class GrantClientAccountAccessDto {
  @ApiProperty({ format: 'uuid', description: 'a user of your organisation, staff or member' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId: string;
}
