import { CanActivate, ExecutionContext, ForbiddenException, HttpStatus, Injectable } from '@nestjs/common';
import { fieldError } from '../http/api-error.filter.js';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { Role } from '../users/user.entity.js';
import { AccessClaims, AuthUser, IS_PUBLIC, ROLES_ALLOWED } from './auth-user.js';
import { Sessions } from './sessions.js';

/**
 * Every route needs a valid bearer token unless marked @Public(); @Roles() narrows who may call it.
 *
 * A token is also refused (401) once its session has ended — logout, a reused refresh token, a password change or
 * reset, the user's deactivation — or the user's session version has moved on (a role change): each request asks
 * `Sessions.isCurrent`, which reuses an answer for at most `AUTH_STATUS_CACHE_MS` (2 s by default, the most
 * allowed) and forgets them at once when the change is made through the same API instance.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
    private readonly sessions: Sessions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest();
    const [scheme, token] = String(request.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw fieldError('authorization', 'a bearer access token is required', HttpStatus.UNAUTHORIZED);
    let claims: AccessClaims;
    try {
      claims = await this.jwt.verifyAsync(token);
    } catch {
      throw fieldError('authorization', 'the access token is invalid or has expired', HttpStatus.UNAUTHORIZED);
    }
    // The same answer as an expired token: a client logs in again, and is refused there.
    const wellFormed = typeof claims.sid === 'string' && Number.isInteger(claims.sv);
    if (!wellFormed || !(await this.sessions.isCurrent(claims.sub, claims.sid, claims.sv))) {
      throw fieldError('authorization', 'the access token is invalid or has expired', HttpStatus.UNAUTHORIZED);
    }
    const user: AuthUser = { id: claims.sub, organizationId: claims.org, role: claims.role, sessionId: claims.sid };
    request.user = user;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_ALLOWED, targets);
    if (roles && !roles.includes(user.role)) {
      throw new ForbiddenException(`this action needs the role ${roles.join(' or ')}`);
    }
    return true;
  }
}
