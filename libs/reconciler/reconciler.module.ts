import { Module } from '@nestjs/common';
import { MessageDeliveryModule } from '../messages/message-delivery.module.js';
import { ReconcilerService } from './reconciler.service.js';

/** The worker's reconciler: what the `reconcile` workflow's activity runs. */
@Module({ imports: [MessageDeliveryModule], providers: [ReconcilerService], exports: [ReconcilerService] })
export class ReconcilerModule {}
