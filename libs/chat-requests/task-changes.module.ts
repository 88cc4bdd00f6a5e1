import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module.js';
import { DeliveryModule } from '../delivery/delivery.module.js';
import { TaskChanges } from './task-changes.service.js';

/** What the worker needs to carry out the changes a chat request's workflow decides. */
@Module({
  imports: [ChannelsModule, DeliveryModule],
  providers: [TaskChanges],
  exports: [TaskChanges],
})
export class TaskChangesModule {}
