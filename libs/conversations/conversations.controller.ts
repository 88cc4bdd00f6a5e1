import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { AddParticipantsDto, ListConversationsQuery, PostMessageDto, StartConversationDto } from './conversation.dto.js';
import { ConversationsService } from './conversations.service.js';

@ApiTags('conversations')
@ApiBearerAuth()
@Controller('v1/conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  /** Staff write to anyone in their organisation; members only to the staff the organisation's rules allow. */
  @Post()
  start(@CurrentUser() caller: AuthUser, @Body() body: StartConversationDto) {
    return this.conversations.start(caller, body);
  }

  @Get()
  list(@CurrentUser() caller: AuthUser, @Query() query: ListConversationsQuery) {
    return this.conversations.list(caller, query);
  }

  @Get(':id')
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.conversations.get(caller, id);
  }

  @Post(':id/messages')
  reply(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: PostMessageDto) {
    return this.conversations.reply(caller, id, body);
  }

  /** New recipients see the conversation's history, as the BCC rule allows. */
  @Post(':id/participants')
  @HttpCode(200)
  addParticipants(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: AddParticipantsDto) {
    return this.conversations.addParticipants(caller, id, body);
  }

  @Post(':id/read')
  @HttpCode(200)
  read(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.conversations.markRead(caller, id);
  }

  @Post(':id/leave')
  @HttpCode(204)
  leave(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.conversations.leave(caller, id);
  }

  @Roles('admin', 'staff')
  @Post(':id/close')
  @HttpCode(200)
  close(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.conversations.close(caller, id);
  }

  /** Only where the organisation lets contacts reopen closed conversations. */
  @Post(':id/reopen')
  @HttpCode(200)
  reopen(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.conversations.reopen(caller, id);
  }
}
