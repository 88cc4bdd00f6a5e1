import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsUUID } from 'class-validator';

export class CreateAwayPeriodDto {
  @ApiProperty({ format: 'uuid', description: 'the staff or admin user who is away; staff may name only themselves' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId: string;

  @ApiProperty({ format: 'uuid', description: 'the staff or admin user who takes their chat requests meanwhile' })
  @IsUUID('all', { message: 'coveredById must be a UUID' })
  coveredById: string;

  @ApiProperty({ format: 'date-time', description: 'when the period starts; may be in the past' })
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date-time' })
  from: string;

  @ApiProperty({ format: 'date-time', description: 'when the period ends; after from, and in the future' })
  @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 date-time' })
  until: string;
}

export class ListAwayPeriodsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "only this user's periods; staff may name only themselves" })
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId?: string;
}
