import { Module } from '@nestjs/common';
import { OutboxRelay } from './outbox-relay.js';

/** The worker's side of the outbox: the relay that sends committed entries to Temporal. */
@Module({ providers: [OutboxRelay], exports: [OutboxRelay] })
export class OutboxModule {}
