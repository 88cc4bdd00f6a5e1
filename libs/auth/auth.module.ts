import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { Passwords } from './passwords.js';
import { SessionsModule } from './sessions.module.js';
import { ChannelsModule } from '../channels/channels.module.js';

@Module({
  imports: [
    ChannelsModule,
    SessionsModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // A key object, not the string: given a string, every verification first tries (and fails) to read it as a public key.
        secret: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')),
        signOptions: { issuer: 'tidings', algorithm: 'HS256' },
        verifyOptions: { issuer: 'tidings', algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, Passwords, { provide: APP_GUARD, useClass: AuthGuard }],
})
export class AuthModule {}
