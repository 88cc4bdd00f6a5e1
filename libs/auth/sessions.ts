import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Role } from '../users/user.entity.js';
import { hashOfToken, newSecretToken } from './session-tokens.js';

/** Enough for every session an instance serves in the cache window; past it the cache starts over. */
const MAX_CACHED_SESSIONS = 50_000;

/** Who a session is for, as the database says now: an access token is made from this. */
export interface SessionUser {
  id: string;
  organizationId: string;
  role: Role;
  sessionVersion: number;
}

export interface IssuedSession {
  sessionId: string;
  refreshToken: string;
  /** When the refresh token stops working if it is not used: the automatic logoff. */
  idleExpiresAt: Date;
  user: SessionUser;
}

export type RevokeReason = 'logout' | 'refresh_reused' | 'password_changed' | 'password_reset' | 'deactivated';

const REFUSED = 'the refresh token is invalid or has expired';

/**
 * Logins as sessions that can be taken away. Each login is a session with rotating refresh tokens, kept only as
 * hashes; a refresh token used a second time means it was copied, so the whole session (the token family) is
 * revoked. A session lasts `sessionIdleMinutes` (the organisation's) past its last refresh, and never longer than
 * SESSION_MAX_HOURS. Access tokens name their session and the user's session version; `isCurrent` is what the
 * AuthGuard asks on every request.
 */
@Injectable()
export class Sessions {
  private readonly checked = new Map<string, { current: boolean; until: number }>();

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new session for a user whose password was just checked. */
  async start(user: SessionUser): Promise<IssuedSession> {
    const sessionId = crypto.randomUUID();
    const refreshToken = newSecretToken();
    const [row] = await this.em.transactional(async (em) => {
      const rows = await em.execute<Array<{ idle_expires_at: Date }>>(
        `insert into auth_session (id, user_id, organization_id, created_at, last_used_at, idle_expires_at, expires_at)
         select ?, ?, ?, now(), now(), now() + make_interval(mins => o.session_idle_minutes), now() + make_interval(hours => ?)
           from organization o where o.id = ?
         returning idle_expires_at`,
        [sessionId, user.id, user.organizationId, this.config.sessionMaxHours, user.organizationId],
      );
      await em.execute(`insert into refresh_token (id, session_id, token_hash, created_at) values (?, ?, ?, now())`, [
        crypto.randomUUID(),
        sessionId,
        hashOfToken(refreshToken),
      ]);
      return rows;
    });
    return { sessionId, refreshToken, idleExpiresAt: new Date(row.idle_expires_at), user };
  }

  /**
   * Trades a refresh token for a new one (and the caller makes a new access token from the answer). The token's row
   * and its session are locked, so of two refreshes with one token exactly one rotates it; the other, like any later
   * use of a rotated token, revokes the session.
   */
  async rotate(refreshToken: string): Promise<IssuedSession> {
    const outcome = await this.em.transactional(async (em) => {
      const [found] = await em.execute<
        Array<{
          token_id: string;
          used_at: Date | null;
          session_id: string;
          revoked_at: Date | null;
          usable: boolean;
          user_id: string;
          organization_id: string;
          role: Role;
          status: string;
          session_version: number;
        }>
      >(
        `select t.id as token_id, t.used_at, s.id as session_id, s.revoked_at,
                (s.idle_expires_at > now() and s.expires_at > now()) as usable,
                u.id as user_id, u.organization_id, u.role, u.status, u.session_version
           from refresh_token t
           join auth_session s on s.id = t.session_id
           join app_user u on u.id = s.user_id
          where t.token_hash = ?
          for update of t, s`,
        [hashOfToken(refreshToken)],
      );
      if (!found || found.revoked_at || !found.usable || found.status !== 'active') return { refused: true as const };
      if (found.used_at) {
        await this.revokeIn(em, [found.session_id], 'refresh_reused');
        await this.audit.record({
          organizationId: found.organization_id,
          actorId: null,
          action: 'session.refresh_reused',
          subjectType: 'user',
          subjectId: found.user_id,
          details: { sessionId: found.session_id },
        });
        return { refused: true as const };
      }
      const next = newSecretToken();
      await em.execute(`update refresh_token set used_at = now() where id = ?`, [found.token_id]);
      await em.execute(`insert into refresh_token (id, session_id, token_hash, created_at) values (?, ?, ?, now())`, [
        crypto.randomUUID(),
        found.session_id,
        hashOfToken(next),
      ]);
      const [session] = await em.execute<Array<{ idle_expires_at: Date }>>(
        `update auth_session s set last_used_at = now(),
                idle_expires_at = least(s.expires_at, now() + make_interval(mins => o.session_idle_minutes))
           from organization o where s.id = ? and o.id = s.organization_id
         returning s.idle_expires_at`,
        [found.session_id],
      );
      return {
        refused: false as const,
        issued: {
          sessionId: found.session_id,
          refreshToken: next,
          idleExpiresAt: new Date(session.idle_expires_at),
          user: { id: found.user_id, organizationId: found.organization_id, role: found.role, sessionVersion: found.session_version },
        },
      };
    });
    // Outside the transaction: a reuse's revocation must commit even though the caller is refused.
    if (outcome.refused) throw new UnauthorizedException(REFUSED);
    return outcome.issued;
  }

  /** The session a refresh token belongs to, whether or not it is still usable (logout by refresh token). */
  async sessionOf(refreshToken: string): Promise<{ sessionId: string; userId: string; organizationId: string } | null> {
    const [row] = await this.em.execute<Array<{ session_id: string; user_id: string; organization_id: string }>>(
      `select s.id as session_id, s.user_id, s.organization_id from refresh_token t join auth_session s on s.id = t.session_id where t.token_hash = ?`,
      [hashOfToken(refreshToken)],
    );
    return row ? { sessionId: row.session_id, userId: row.user_id, organizationId: row.organization_id } : null;
  }

  async revoke(sessionIds: string[], reason: RevokeReason, em: EntityManager = this.em): Promise<void> {
    await this.revokeIn(em, sessionIds, reason);
  }

  /** Every open session of the user but `except` (the caller's own, on a password change). */
  async revokeAllOf(userId: string, reason: RevokeReason, em: EntityManager = this.em, except?: string): Promise<void> {
    await em.execute(
      `update auth_session set revoked_at = now(), revoked_reason = ? where user_id = ? and revoked_at is null ${except ? 'and id <> ?' : ''}`,
      except ? [reason, userId, except] : [reason, userId],
    );
    this.forgetChecks();
  }

  /** Access tokens carrying the old version stop working (a role change: the next refresh carries the new role). */
  async bumpVersion(userId: string, em: EntityManager = this.em): Promise<void> {
    await em.execute(`update app_user set session_version = session_version + 1 where id = ?`, [userId]);
    this.forgetChecks();
  }

  /**
   * Whether an access token's session still holds: the user active, the session neither revoked nor past its
   * absolute end, the token's session version current. One query, reused for at most AUTH_STATUS_CACHE_MS; a change
   * made through this instance clears its cache at once.
   */
  async isCurrent(userId: string, sessionId: string, sessionVersion: number): Promise<boolean> {
    const key = `${sessionId}:${sessionVersion}`;
    const now = Date.now();
    const cached = this.checked.get(key);
    if (cached && cached.until > now) return cached.current;
    const [row] = await this.em.execute<Array<{ current: boolean }>>(
      `select (u.status = 'active' and u.session_version = ? and s.revoked_at is null and s.expires_at > now()) as current
         from app_user u join auth_session s on s.user_id = u.id
        where u.id = ? and s.id = ?`,
      [sessionVersion, userId, sessionId],
    );
    const current = row?.current === true;
    if (this.config.authStatusCacheMs > 0) {
      if (this.checked.size >= MAX_CACHED_SESSIONS) this.checked.clear();
      this.checked.set(key, { current, until: now + this.config.authStatusCacheMs });
    }
    return current;
  }

  private async revokeIn(em: EntityManager, sessionIds: string[], reason: RevokeReason): Promise<void> {
    if (sessionIds.length === 0) return;
    await em.execute(`update auth_session set revoked_at = now(), revoked_reason = ? where id in (?) and revoked_at is null`, [reason, sessionIds]);
    this.forgetChecks();
  }

  private forgetChecks(): void {
    this.checked.clear();
  }
}
