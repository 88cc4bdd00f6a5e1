import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { RateLimiter } from '../rate-limits/rate-limiter.js';
import { User } from '../users/user.entity.js';
import type { AccessClaims } from './auth-user.js';
import { verifyPassword } from './password.js';
import { Sessions, type IssuedSession } from './sessions.js';

/** What login and refresh answer: a short-lived access token, and the refresh token that renews it. */
export interface TokenResponse {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  /** When the refresh token lapses unless used: the organisation's automatic logoff. */
  refreshExpiresAt: string;
  user: { id: string; organizationId: string; role: string; email: string; name: string };
}

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly jwt: JwtService,
    private readonly limiter: RateLimiter,
    private readonly sessions: Sessions,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(email: string, password: string, ip: string): Promise<TokenResponse> {
    const normalizedEmail = email.trim().toLowerCase();
    const keys = { email: `login:email:${normalizedEmail}`, ip: `login:ip:${ip}` };
    // Counted before the hash, each attempt in a place of its own: of 30 parallel guesses only the allowed few reach
    // argon2. A successful login then gives its places back, so only failures accumulate.
    await this.countAttempt(keys.ip, this.config.rateLimits.loginFailuresPerIp, 'too many failed logins from this address');
    await this.countAttempt(keys.email, this.config.rateLimits.loginFailuresPerEmail, 'too many failed logins for this email');
    const user = await this.em.findOne(User, { email: normalizedEmail }, { populate: ['passwordHash'] });
    // A deactivated user gets the same answer as a wrong password, after the same work: no account enumeration.
    if (!(await verifyPassword(user?.passwordHash ?? null, password)) || !user || user.status !== 'active') {
      if (user) await this.audited(user, 'auth.login_failed', null);
      throw new UnauthorizedException('email or password is wrong');
    }
    await this.limiter.reset(keys.email);
    await this.limiter.giveBack(keys.ip);
    const [{ session_version }] = await this.em.execute<Array<{ session_version: number }>>('select session_version from app_user where id = ?', [user.id]);
    const issued = await this.sessions.start({ id: user.id, organizationId: user.organization.id, role: user.role, sessionVersion: session_version });
    await this.audited(user, 'auth.login_succeeded', user.id, { sessionId: issued.sessionId });
    return this.tokensFor(issued, user);
  }

  /** A new access token and refresh token for a refresh token that is current; any other gets 401. */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const issued = await this.sessions.rotate(refreshToken);
    const user = await this.em.findOneOrFail(User, issued.user.id);
    return this.tokensFor(issued, user);
  }

  /**
   * Ends the session of a valid access token (its session id), or else of a refresh token, even one already
   * rotated or lapsed: whoever holds either may end the session. A session already ended is no error.
   */
  async logout(authorization: string | undefined, refreshToken: string | undefined): Promise<void> {
    const session = (await this.sessionOfAccessToken(authorization)) ?? (refreshToken ? await this.sessions.sessionOf(refreshToken) : null);
    if (!session) throw new UnauthorizedException('logging out needs a valid access token or refresh token');
    await this.sessions.revoke([session.sessionId], 'logout');
    await this.audit.record({
      organizationId: session.organizationId,
      actorId: session.userId,
      action: 'auth.logout',
      subjectType: 'user',
      subjectId: session.userId,
      details: { sessionId: session.sessionId },
    });
  }

  private async sessionOfAccessToken(authorization: string | undefined): Promise<{ sessionId: string; userId: string; organizationId: string } | null> {
    const [scheme, token] = (authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) return null;
    try {
      const claims = await this.jwt.verifyAsync<AccessClaims>(token);
      return typeof claims.sid === 'string' ? { sessionId: claims.sid, userId: claims.sub, organizationId: claims.org } : null;
    } catch {
      return null;
    }
  }

  private async tokensFor(issued: IssuedSession, user: User): Promise<TokenResponse> {
    const claims: AccessClaims = {
      sub: issued.user.id,
      org: issued.user.organizationId,
      role: issued.user.role,
      sid: issued.sessionId,
      sv: issued.user.sessionVersion,
    };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: this.config.jwtTtlSeconds });
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.config.jwtTtlSeconds,
      refreshToken: issued.refreshToken,
      refreshExpiresAt: issued.idleExpiresAt.toISOString(),
      user: { id: user.id, organizationId: issued.user.organizationId, role: issued.user.role, email: user.email, name: user.name },
    };
  }

  private async audited(user: User, action: string, actorId: string | null, details?: Record<string, unknown>): Promise<void> {
    await this.audit.record({ organizationId: user.organization.id, actorId, action, subjectType: 'user', subjectId: user.id, details });
  }

  private async countAttempt(key: string, limit: number, what: string): Promise<void> {
    const windowSeconds = this.config.rateLimits.loginWindowMinutes * 60;
    await this.limiter.take(key, { limit, windowSeconds }, 'email', what);
  }
}
