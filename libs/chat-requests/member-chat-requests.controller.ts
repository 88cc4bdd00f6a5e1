import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { ChangeChatRequestReasonDto, CreateChatRequestDto, ListMemberChatRequestsQuery } from './chat-request.dto.js';
import { TaskAccess } from './task-access.js';
import { CancelChatRequest } from './usecases/cancel-chat-request/cancel-chat-request.usecase.js';
import { GetChatRequestForm } from './usecases/chat-request-form/chat-request-form.usecase.js';
import { ChangeChatRequestReason } from './usecases/change-chat-request-reason/change-chat-request-reason.usecase.js';
import { CreateChatRequest } from './usecases/create-chat-request/create-chat-request.usecase.js';
import { ListMemberChatRequests } from './usecases/list-member-chat-requests/list-member-chat-requests.usecase.js';
import { ListMemberChats } from './usecases/list-member-chats/list-member-chats.usecase.js';

/** The member's side: Request a Chat, its confirmation (change the reason, cancel), and Active Chats. */
@ApiTags('chat requests')
@ApiBearerAuth()
@Roles('member')
@Controller('v1/me')
export class MemberChatRequestsController {
  constructor(
    private readonly createChatRequest: CreateChatRequest,
    private readonly listChatRequests: ListMemberChatRequests,
    private readonly changeReason: ChangeChatRequestReason,
    private readonly cancelChatRequest: CancelChatRequest,
    private readonly chats: ListMemberChats,
    private readonly access: TaskAccess,
    private readonly form: GetChatRequestForm,
  ) {}

  /** Everything the Request a Chat form needs: the organisation's intro, the member's programs (and the default), the active reasons. */
  @Get('chat-request-form')
  requestForm(@CurrentUser() caller: AuthUser) {
    return this.form.execute(caller);
  }

  @Post('chat-requests')
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateChatRequestDto) {
    return this.createChatRequest.execute(caller, body);
  }

  @Get('chat-requests')
  list(@CurrentUser() caller: AuthUser, @Query() query: ListMemberChatRequestsQuery) {
    return this.listChatRequests.execute(caller, query.status);
  }

  @Get('chat-requests/:id')
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.access.memberView(caller, id);
  }

  /** 409 once the request is closed or cancelled. */
  @Patch('chat-requests/:id')
  change(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: ChangeChatRequestReasonDto) {
    return this.changeReason.execute(caller, id, body);
  }

  /** 409 once the request is closed (or already cancelled). */
  @Post('chat-requests/:id/cancel')
  @HttpCode(200)
  cancel(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.cancelChatRequest.execute(caller, id);
  }

  @Get('chats')
  listChats(@CurrentUser() caller: AuthUser) {
    return this.chats.execute(caller);
  }

  @Get('chats/unread')
  unread(@CurrentUser() caller: AuthUser) {
    return this.chats.unread(caller);
  }
}
