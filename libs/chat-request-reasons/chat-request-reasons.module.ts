import { Module } from '@nestjs/common';
import { ChatRequestReasonsController } from './chat-request-reasons.controller.js';
import { ChatRequestReasonsService } from './chat-request-reasons.service.js';

@Module({ controllers: [ChatRequestReasonsController], providers: [ChatRequestReasonsService], exports: [ChatRequestReasonsService] })
export class ChatRequestReasonsModule {}
