import { Module } from '@nestjs/common';
import { ClientAccountsController } from './client-accounts.controller.js';
import { ClientAccountsService } from './client-accounts.service.js';

@Module({ controllers: [ClientAccountsController], providers: [ClientAccountsService], exports: [ClientAccountsService] })
export class ClientAccountsModule {}
