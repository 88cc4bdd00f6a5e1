import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module.js';
import { DeliveryModule } from '../delivery/delivery.module.js';
import { ConversationNotificationsService } from './conversation-notifications.service.js';
import { ReplyAddresses } from './reply-address.js';

/** What the worker needs to tell people about conversation messages. */
@Module({
  imports: [ChannelsModule, DeliveryModule],
  providers: [ConversationNotificationsService, ReplyAddresses],
  exports: [ConversationNotificationsService],
})
export class ConversationNotificationsModule {}
