import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { AddTeamMemberDto, CreateTeamDto } from './team.dto.js';
import { TeamsService } from './teams.service.js';

@ApiTags('teams')
@ApiBearerAuth()
@Controller('v1/teams')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Roles('admin', 'staff')
  @Get()
  list(@CurrentUser() caller: AuthUser) {
    return this.teams.list(caller.organizationId);
  }

  @Roles('admin')
  @Post()
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateTeamDto) {
    return this.teams.create(caller, body);
  }

  @Roles('admin')
  @Post(':id/members')
  @HttpCode(200)
  addMember(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: AddTeamMemberDto) {
    return this.teams.addMember(caller, id, body);
  }

  @Roles('admin')
  @Delete(':id/members/:userId')
  @HttpCode(204)
  async removeMember(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Param('userId', uuidParam('userId')) userId: string) {
    await this.teams.removeMember(caller, id, userId);
  }
}
