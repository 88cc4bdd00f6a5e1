import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module.js';
import { MessageDeliveryService } from './message-delivery.service.js';

/** What the worker needs to deliver messages: the delivery service and the channel providers. */
@Module({ imports: [ChannelsModule], providers: [MessageDeliveryService], exports: [MessageDeliveryService] })
export class MessageDeliveryModule {}
