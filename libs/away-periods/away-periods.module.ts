import { Module } from '@nestjs/common';
import { AwayPeriodsController } from './away-periods.controller.js';
import { AwayPeriodsService } from './away-periods.service.js';

@Module({ controllers: [AwayPeriodsController], providers: [AwayPeriodsService], exports: [AwayPeriodsService] })
export class AwayPeriodsModule {}
