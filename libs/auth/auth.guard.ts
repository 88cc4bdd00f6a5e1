import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { Role } from '../users/user.entity.js';
import { AuthUser, IS_PUBLIC, ROLES_ALLOWED } from './auth-user.js';

/** Every route needs a valid bearer token unless marked @Public(); @Roles() narrows who may call it. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
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
    const user: AuthUser = { id: claims.sub, organizationId: claims.org, role: claims.role };
    request.user = user;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_ALLOWED, targets);
    if (roles && !roles.includes(user.role)) {
      throw new ForbiddenException(`this action needs the role ${roles.join(' or ')}`);
    }
    return true;
  }
}
