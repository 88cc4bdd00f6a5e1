import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import {
  AddParticipantsDto,
  ListConversationMessagesQuery,
  ListConversationsQuery,
  MarkReadDto,
  PostMessageDto,
  StartConversationDto,
} from './conversation.dto.js';
import { ListConversationMessages } from './usecases/list-conversation-messages/list-conversation-messages.usecase.js';
import { AddParticipants } from './usecases/add-participants/add-participants.usecase.js';
import { CloseConversation } from './usecases/close-conversation/close-conversation.usecase.js';
import { LeaveConversation } from './usecases/leave-conversation/leave-conversation.usecase.js';
import { ListConversations } from './usecases/list-conversations/list-conversations.usecase.js';
import { MarkRead } from './usecases/mark-read/mark-read.usecase.js';
import { OpenConversation } from './usecases/open-conversation/open-conversation.usecase.js';
import { PostMessage } from './usecases/post-message/post-message.usecase.js';
import { ReopenConversation } from './usecases/reopen-conversation/reopen-conversation.usecase.js';
import { RateLimited } from '../rate-limits/rate-limits.js';
import { StartConversation } from './usecases/start-conversation/start-conversation.usecase.js';

@ApiTags('conversations')
@ApiBearerAuth()
@Controller('v1/conversations')
export class ConversationsController {
  constructor(
    private readonly startConversation: StartConversation,
    private readonly listConversations: ListConversations,
    private readonly openConversation: OpenConversation,
    private readonly postMessage: PostMessage,
    private readonly listConversationMessages: ListConversationMessages,
    private readonly addParticipantsUseCase: AddParticipants,
    private readonly markRead: MarkRead,
    private readonly leaveConversation: LeaveConversation,
    private readonly closeConversation: CloseConversation,
    private readonly reopenConversation: ReopenConversation,
  ) {}

  /** Staff write to anyone in their organisation; members only to the staff the organisation's rules allow. */
  @Post()
  @RateLimited('conversationStarts')
  start(@CurrentUser() caller: AuthUser, @Body() body: StartConversationDto) {
    return this.startConversation.execute(caller, body);
  }

  @Get()
  list(@CurrentUser() caller: AuthUser, @Query() query: ListConversationsQuery) {
    return this.listConversations.execute(caller, query);
  }

  @Get(':id')
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.openConversation.execute(caller, id);
  }

  @Post(':id/messages')
  @RateLimited('conversationMessages')
  reply(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: PostMessageDto) {
    return this.postMessage.execute(caller, id, { source: 'app', dto: body });
  }

  /** New recipients see the conversation's history, as the BCC rule allows. */
  @Post(':id/participants')
  @HttpCode(200)
  addParticipants(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: AddParticipantsDto) {
    return this.addParticipantsUseCase.execute(caller, id, body);
  }

  /** The conversation's history, a page at a time (newest pages first, each oldest first). */
  @Get(':id/messages')
  history(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Query() query: ListConversationMessagesQuery) {
    return this.listConversationMessages.execute(caller, id, query);
  }

  @Post(':id/read')
  @HttpCode(200)
  read(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: MarkReadDto) {
    return this.markRead.execute(caller, id, body?.throughSequence);
  }

  @Post(':id/leave')
  @HttpCode(204)
  leave(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.leaveConversation.execute(caller, id);
  }

  @Roles('admin', 'staff')
  @Post(':id/close')
  @HttpCode(200)
  close(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.closeConversation.execute(caller, id);
  }

  /** Only where the organisation lets contacts reopen closed conversations. */
  @Post(':id/reopen')
  @HttpCode(200)
  reopen(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.reopenConversation.execute(caller, id);
  }
}
