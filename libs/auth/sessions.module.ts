import { Module } from '@nestjs/common';
import { Sessions } from './sessions.js';

/** Sessions alone, for the features that end them (users: deactivation, role changes) without the auth routes. */
@Module({ providers: [Sessions], exports: [Sessions] })
export class SessionsModule {}
