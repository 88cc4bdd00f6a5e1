import { EntityManager } from '@mikro-orm/postgresql';
import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import type { Role } from '../users/user.entity.js';
import { AuthUser, IS_PUBLIC, ROLES_ALLOWED } from './auth-user.js';

/** Enough for every user an instance serves in the cache window; past it the cache starts over. */
const MAX_CACHED_USERS = 50_000;

/**
 * Every route needs a valid bearer token unless marked @Public(); @Roles() narrows who may call it.
 *
 * A token is also refused (401) once its user is deactivated or gone: each request looks up the user's
 * status, reusing a lookup for at most `AUTH_STATUS_CACHE_MS` (2 s by default, the most allowed). So a
 * deactivated user's token works for at most that long after the deactivation commits, on each API instance.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly active = new Map<string, { active: boolean; until: number }>();

  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest();
    const [scheme, token] = String(request.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw new UnauthorizedException('a bearer access token is required');
    let claims: { sub: string; org: string; role: Role };
    try {
      claims = await this.jwt.verifyAsync(token);
    } catch {
      throw new UnauthorizedException('the access token is invalid or has expired');
    }
    // The same answer as an expired token: a client logs in again, and is refused there.
    if (!(await this.isActive(claims.sub))) throw new UnauthorizedException('the access token is invalid or has expired');
    const user: AuthUser = { id: claims.sub, organizationId: claims.org, role: claims.role };
    request.user = user;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_ALLOWED, targets);
    if (roles && !roles.includes(user.role)) {
      throw new ForbiddenException(`this action needs the role ${roles.join(' or ')}`);
    }
    return true;
  }

  /** Whether the user exists and is active, as of at most `authStatusCacheMs` ago. */
  private async isActive(userId: string): Promise<boolean> {
    const now = Date.now();
    const cached = this.active.get(userId);
    if (cached && cached.until > now) return cached.active;
    const [row] = await this.em.execute<Array<{ status: string }>>('select status from app_user where id = ?', [userId]);
    const active = row?.status === 'active';
    if (this.config.authStatusCacheMs > 0) {
      if (this.active.size >= MAX_CACHED_USERS) this.active.clear();
      this.active.set(userId, { active, until: now + this.config.authStatusCacheMs });
    }
    return active;
  }
}
