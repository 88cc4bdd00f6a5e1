import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthUser } from '../auth/auth-user.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RateLimiter, type RateLimit } from './rate-limiter.js';

/** What a logged-in user's requests are limited by; each names its limit per role from the configuration. */
const PER_USER_LIMITS = {
  conversationStarts: {
    field: 'conversation',
    what: 'too many conversations started in a minute',
    limit: (config: AppConfig, user: AuthUser): RateLimit => ({ limit: byRole(config.rateLimits.conversationStartsPerMinute, user), windowSeconds: 60 }),
  },
  conversationMessages: {
    field: 'message',
    what: 'too many messages posted in a minute',
    limit: (config: AppConfig, user: AuthUser): RateLimit => ({ limit: byRole(config.rateLimits.conversationMessagesPerMinute, user), windowSeconds: 60 }),
  },
  uploads: {
    field: 'file',
    what: 'too many files uploaded in an hour',
    limit: (config: AppConfig): RateLimit => ({ limit: config.rateLimits.uploadsPerHour, windowSeconds: 3600 }),
  },
} as const;

export type PerUserLimit = keyof typeof PER_USER_LIMITS;

const byRole = (limits: { staff: number; member: number }, user: AuthUser) => (user.role === 'member' ? limits.member : limits.staff);

const RATE_LIMITED = 'tidings:rate-limited';

/** The route counts against the caller's `limit`, before its body is validated or read: a refused request costs one upsert. */
export const RateLimited = (limit: PerUserLimit) => SetMetadata(RATE_LIMITED, limit);

/** Runs after the AuthGuard (a global guard), so the caller is known; routes without @RateLimited pass untouched. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const name = this.reflector.get<PerUserLimit | undefined>(RATE_LIMITED, context.getHandler());
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (!name || !user) return true;
    const { field, what, limit } = PER_USER_LIMITS[name];
    await this.limiter.take(`${name}:${user.id}`, limit(this.config, user), field, what);
    return true;
  }
}
