import { Module } from '@nestjs/common';
import { MessageCenterController } from './message-center.controller.js';
import { MessageCenterService } from './message-center.service.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';

@Module({ controllers: [MessagesController, MessageCenterController], providers: [MessagesService, MessageCenterService] })
export class MessagesModule {}
