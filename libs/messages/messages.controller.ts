import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { ListMessagesQuery } from './dto/list-messages.query.js';
import { RescheduleMessageDto, ScheduleMessageDto } from './dto/schedule-message.dto.js';
import { MessagesService } from './messages.service.js';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('v1/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** Accepted at once; the message's workflow delivers it at deliverAt. */
  @Roles('admin', 'staff')
  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retried POST with the same key returns the first answer' })
  schedule(@CurrentUser() caller: AuthUser, @Body() body: ScheduleMessageDto, @Headers('idempotency-key') idempotencyKey?: string) {
    return this.messages.schedule(caller, body, idempotencyKey);
  }

  @Roles('admin', 'staff')
  @Get()
  list(@CurrentUser() caller: AuthUser, @Query() query: ListMessagesQuery) {
    return this.messages.list(caller, query);
  }

  @Get(':id')
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.messages.get(caller, id);
  }

  @Roles('admin', 'staff')
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.messages.cancel(caller, id);
  }

  @Roles('admin', 'staff')
  @Patch(':id')
  reschedule(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: RescheduleMessageDto) {
    return this.messages.reschedule(caller, id, body);
  }
}
