import { Body, Controller, Delete, Get, HttpStatus, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { CreateChatRequestReasonDto, ListChatRequestReasonsQuery, UpdateChatRequestReasonDto } from './chat-request-reason.dto.js';
import { ChatRequestReasonsService } from './chat-request-reasons.service.js';

/** Why members ask for a chat: the organisation's list, which admins keep and everyone logged in reads. */
@ApiTags('chat request reasons')
@ApiBearerAuth()
@Controller('v1/chat-request-reasons')
export class ChatRequestReasonsController {
  constructor(private readonly reasons: ChatRequestReasonsService) {}

  @Get()
  list(@CurrentUser() caller: AuthUser, @Query() query: ListChatRequestReasonsQuery) {
    return this.reasons.list(caller.organizationId, query.active === undefined ? undefined : query.active === 'true');
  }

  @Roles('admin')
  @Post()
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateChatRequestReasonDto) {
    return this.reasons.create(caller, body);
  }

  @Roles('admin')
  @Patch(':id')
  update(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: UpdateChatRequestReasonDto) {
    return this.reasons.update(caller, id, body);
  }

  /**
   * 204 when the reason is gone. A reason some chat request was made with is not deleted: it is
   * deactivated (no longer offered) and answered with 200, and those requests keep their label.
   */
  @Roles('admin')
  @Delete(':id')
  async remove(
    @CurrentUser() caller: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ) {
    const kept = await this.reasons.remove(caller, id);
    response.status(kept ? HttpStatus.OK : HttpStatus.NO_CONTENT);
    return kept ?? undefined;
  }
}
