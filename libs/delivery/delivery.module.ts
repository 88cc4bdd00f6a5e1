import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module.js';
import { Deliverer } from './deliverer.js';
import { DeliveryLedger } from './delivery-ledger.js';

/** The delivery ledger and the one component that sends through it. */
@Module({ imports: [ChannelsModule], providers: [DeliveryLedger, Deliverer], exports: [DeliveryLedger, Deliverer] })
export class DeliveryModule {}
