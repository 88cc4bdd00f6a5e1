import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimiter } from './rate-limiter.js';
import { RateLimitGuard } from './rate-limits.js';

/** Global: logins, conversations and uploads all count against the one limiter. */
@Global()
@Module({
  providers: [RateLimiter, { provide: APP_GUARD, useClass: RateLimitGuard }],
  exports: [RateLimiter],
})
export class RateLimitsModule {}
