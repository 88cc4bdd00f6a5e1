import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module.js';
import { DeliveryModule } from '../delivery/delivery.module.js';
import { MessageDeliveryService } from './message-delivery.service.js';

/** What the worker needs to deliver scheduled messages. */
@Module({ imports: [ChannelsModule, DeliveryModule], providers: [MessageDeliveryService], exports: [MessageDeliveryService] })
export class MessageDeliveryModule {}
