import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { PageQuery } from './dto/list-messages.query.js';
import { MessageCenterService } from './message-center.service.js';

/** The caller's own message center: messages from their delivery time, newest first, until dismissed or removed. */
@ApiTags('message center')
@ApiBearerAuth()
@Controller('v1/me/messages')
export class MessageCenterController {
  constructor(private readonly messageCenter: MessageCenterService) {}

  @Get()
  inbox(@CurrentUser() caller: AuthUser, @Query() query: PageQuery) {
    return this.messageCenter.inbox(caller, query);
  }

  @Get('unread-count')
  unreadCount(@CurrentUser() caller: AuthUser) {
    return this.messageCenter.unreadCount(caller);
  }

  @Post(':id/read')
  @HttpCode(200)
  read(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.messageCenter.markRead(caller, id);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.messageCenter.remove(caller, id);
  }
}
