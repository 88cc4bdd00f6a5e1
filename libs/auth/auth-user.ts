import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from '../users/user.entity.js';

/** Who is calling, as the access token says. Every query is scoped by `organizationId`. */
export interface AuthUser {
  id: string;
  organizationId: string;
  role: Role;
  /** The login this request belongs to (absent for callers made up inside the server). */
  sessionId?: string;
}

/** What an access token says: the user, their organisation and role, the session and the user's session version. */
export interface AccessClaims {
  sub: string;
  org: string;
  role: Role;
  sid: string;
  sv: number;
}

export const IS_PUBLIC = 'tidings:public';
export const ROLES_ALLOWED = 'tidings:roles';

/** No access token needed (login, health, bootstrap with its own token). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only these roles may call the route; others get 403. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_ALLOWED, roles);

export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): AuthUser => {
  return context.switchToHttp().getRequest().user;
});
