import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { ormConfig } from './orm-config.js';

@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ormConfig(config.databaseUrl),
      driver: PostgreSqlDriver,
    }),
  ],
})
export class DatabaseModule {}
