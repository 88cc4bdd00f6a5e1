import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { CreateEnrollmentDto, CreateProgramDto, UpdateEnrollmentDto, UpdateProgramDto } from './program.dto.js';
import { ProgramsService } from './programs.service.js';

/** Programs (admins define them), the enrolments of members in them with their care managers, and a member's own programs. */
@ApiTags('programs')
@ApiBearerAuth()
@Controller('v1')
export class ProgramsController {
  constructor(private readonly programs: ProgramsService) {}

  @Roles('admin', 'staff')
  @Get('programs')
  list(@CurrentUser() caller: AuthUser) {
    return this.programs.list(caller.organizationId);
  }

  @Roles('admin')
  @Post('programs')
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateProgramDto) {
    return this.programs.create(caller, body);
  }

  @Roles('admin')
  @Patch('programs/:id')
  update(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: UpdateProgramDto) {
    return this.programs.update(caller, id, body);
  }

  @Roles('admin', 'staff')
  @Post('programs/:id/enrollments')
  enroll(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: CreateEnrollmentDto) {
    return this.programs.enroll(caller, id, body);
  }

  @Roles('admin', 'staff')
  @Get('programs/:id/enrollments')
  enrollments(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.programs.enrollments(caller.organizationId, id);
  }

  /** A new care manager: the enrolment's open chat requests move to them (or to whoever covers them while away). */
  @Roles('admin', 'staff')
  @Patch('enrollments/:id')
  changeCareManager(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: UpdateEnrollmentDto) {
    return this.programs.changeCareManager(caller, id, body);
  }

  /** 409 while the enrolment has open chat requests: close or cancel its open chat requests first. */
  @Roles('admin', 'staff')
  @Delete('enrollments/:id')
  @HttpCode(204)
  async remove(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    await this.programs.remove(caller, id);
  }

  /** The caller's programs, each with their care manager in it. */
  @Roles('member')
  @Get('me/programs')
  mine(@CurrentUser() caller: AuthUser) {
    return this.programs.mine(caller);
  }
}
