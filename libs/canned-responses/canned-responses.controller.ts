import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { CreateCannedResponseDto, UpdateCannedResponseDto } from './canned-response.dto.js';
import { CannedResponsesService } from './canned-responses.service.js';

/** The organisation's shared library: any staff member may add to it or tidy it. */
@ApiTags('canned responses')
@ApiBearerAuth()
@Roles('admin', 'staff')
@Controller('v1/canned-responses')
export class CannedResponsesController {
  constructor(private readonly cannedResponses: CannedResponsesService) {}

  @Get()
  list(@CurrentUser() caller: AuthUser) {
    return this.cannedResponses.list(caller.organizationId);
  }

  @Post()
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateCannedResponseDto) {
    return this.cannedResponses.create(caller, body);
  }

  @Patch(':id')
  update(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: UpdateCannedResponseDto) {
    return this.cannedResponses.update(caller, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    await this.cannedResponses.remove(caller, id);
  }
}
