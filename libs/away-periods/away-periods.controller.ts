import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { CreateAwayPeriodDto, ListAwayPeriodsQuery } from './away-periods.dto.js';
import { AwayPeriodsService } from './away-periods.service.js';

/** Away periods: a care manager away, and who covers their chat requests meanwhile. */
@ApiTags('coverage')
@ApiBearerAuth()
@Controller('v1/coverage')
export class AwayPeriodsController {
  constructor(private readonly awayPeriods: AwayPeriodsService) {}

  @Roles('admin', 'staff')
  @Post()
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateAwayPeriodDto) {
    return this.awayPeriods.create(caller, body);
  }

  @Roles('admin', 'staff')
  @Get()
  list(@CurrentUser() caller: AuthUser, @Query() query: ListAwayPeriodsQuery) {
    return this.awayPeriods.list(caller, query);
  }

  @Roles('admin', 'staff')
  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    await this.awayPeriods.remove(caller, id);
  }
}
