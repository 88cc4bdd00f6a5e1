import { EntityManager } from '@mikro-orm/postgresql';
import { HttpStatus, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { NotificationSender } from '../channels/notification-sender.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { fieldError } from '../http/api-error.filter.js';
import { RateLimiter } from '../rate-limits/rate-limiter.js';
import { User } from '../users/user.entity.js';
import type { AuthUser } from './auth-user.js';
import { hashPassword, verifyPassword } from './password.js';
import { passwordWeakness } from './password-policy.js';
import { hashOfToken, newSecretToken } from './session-tokens.js';
import { Sessions } from './sessions.js';

const RESET_VALID_MINUTES = 60;
const RESET_REFUSED = 'is invalid, already used or expired; ask your administrator for a new link';

/**
 * Passwords: a user changing their own, an admin sending a one-time reset link, and the link being used. Every
 * change ends sessions (the caller's others on a change, all of them on a reset) and is audited.
 */
@Injectable()
export class Passwords {
  constructor(
    private readonly em: EntityManager,
    private readonly sessions: Sessions,
    private readonly limiter: RateLimiter,
    private readonly sender: NotificationSender,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The current password is checked like a login (and limited like one), so a stolen token cannot guess it. */
  async changeOwn(caller: AuthUser, currentPassword: string, newPassword: string): Promise<void> {
    const limitKey = `password:user:${caller.id}`;
    const windowSeconds = this.config.rateLimits.loginWindowMinutes * 60;
    await this.limiter.take(limitKey, { limit: this.config.rateLimits.loginFailuresPerEmail, windowSeconds }, 'currentPassword', 'too many wrong passwords');
    const user = await this.em.findOne(User, { id: caller.id, organization: caller.organizationId }, { populate: ['passwordHash'] });
    if (!user || !(await verifyPassword(user.passwordHash, currentPassword))) {
      throw fieldError('currentPassword', 'is not your current password', HttpStatus.UNPROCESSABLE_ENTITY);
    }
    await this.limiter.reset(limitKey);
    this.refuseWeak(newPassword, user);
    if (newPassword === currentPassword) throw fieldError('newPassword', 'must differ from the current password', HttpStatus.UNPROCESSABLE_ENTITY);
    const passwordHash = await hashPassword(newPassword);
    await this.em.transactional(async (em) => {
      await em.execute('update app_user set password_hash = ?, password_changed_at = now() where id = ?', [passwordHash, user.id]);
      await this.sessions.revokeAllOf(user.id, 'password_changed', em, caller.sessionId);
      await this.audit.recordBy(caller, 'user.password_changed', 'user', user.id);
    });
  }

  /**
   * Emails the user a one-time link to set a new password, valid an hour; only its hash is stored, and it replaces
   * any link sent before. Sent here and now, not through the outbox: the token must never be stored in clear. If the
   * email cannot be sent, no link is left that works.
   */
  async sendResetLink(caller: AuthUser, userId: string): Promise<{ expiresAt: string }> {
    const user = await this.em.findOne(User, { id: userId, organization: caller.organizationId });
    if (!user) throw new NotFoundException('user not found');
    if (user.status !== 'active') throw fieldError('id', 'is a deactivated user; reactivate them first', HttpStatus.UNPROCESSABLE_ENTITY);
    const token = newSecretToken();
    const resetId = crypto.randomUUID();
    const [row] = await this.em.transactional(async (em) => {
      await em.execute('update password_reset set used_at = now() where user_id = ? and used_at is null', [user.id]);
      const rows = await em.execute<Array<{ expires_at: Date }>>(
        `insert into password_reset (id, user_id, organization_id, token_hash, created_by_id, created_at, expires_at)
         values (?, ?, ?, ?, ?, now(), now() + make_interval(mins => ?)) returning expires_at`,
        [resetId, user.id, caller.organizationId, hashOfToken(token), caller.id, RESET_VALID_MINUTES],
      );
      await this.audit.recordBy(caller, 'user.password_reset_requested', 'user', user.id);
      return rows;
    });
    // The token in the fragment: browsers never send it to a server, so no access log or Referer carries it.
    const url = `${this.config.appUrl}/reset-password#token=${token}`;
    try {
      await this.sender.send(
        { channel: 'email', to: { email: user.email, name: user.name } },
        {
          subject: 'Set a new Tidings password',
          text: `Your administrator asked for a new password for your Tidings account. Set one here within an hour:\n\n${url}\n\nIf you did not expect this, ignore this email and tell your administrator.`,
          html: `<p>Your administrator asked for a new password for your Tidings account.</p><p><a href="${url}">Set a new password</a> within an hour.</p><p>If you did not expect this, ignore this email and tell your administrator.</p>`,
          url,
        },
      );
    } catch {
      await this.em.execute('delete from password_reset where id = ?', [resetId]);
      throw new ServiceUnavailableException('the email with the reset link could not be sent; nothing was changed, try again later');
    }
    return { expiresAt: new Date(row.expires_at).toISOString() };
  }

  /** Uses a reset link once: the new password is set and every session of the user ends. */
  async reset(token: string, newPassword: string, ip: string): Promise<void> {
    await this.limiter.take(`password-reset:ip:${ip}`, { limit: 20, windowSeconds: 15 * 60 }, 'token', 'too many reset attempts from this address');
    const tokenHash = hashOfToken(typeof token === 'string' ? token : '');
    const [pending] = await this.em.execute<Array<{ user_id: string; email: string }>>(
      `select r.user_id, u.email from password_reset r join app_user u on u.id = r.user_id
        where r.token_hash = ? and r.used_at is null and r.expires_at > now() and u.status = 'active'`,
      [tokenHash],
    );
    if (!pending) throw fieldError('token', RESET_REFUSED);
    this.refuseWeak(newPassword, pending);
    const passwordHash = await hashPassword(newPassword);
    await this.em.transactional(async (em) => {
      // Used once, even by two requests at the same moment: only the one that marks it gets to set the password.
      const [used] = await em.execute<Array<{ user_id: string; organization_id: string }>>(
        `update password_reset set used_at = now() where token_hash = ? and used_at is null and expires_at > now() returning user_id, organization_id`,
        [tokenHash],
      );
      if (!used) throw fieldError('token', RESET_REFUSED);
      await em.execute('update app_user set password_hash = ?, password_changed_at = now() where id = ?', [passwordHash, used.user_id]);
      await this.sessions.revokeAllOf(used.user_id, 'password_reset', em);
      await this.audit.record({
        organizationId: used.organization_id,
        actorId: used.user_id,
        action: 'user.password_reset',
        subjectType: 'user',
        subjectId: used.user_id,
      });
    });
  }

  private refuseWeak(password: string, owner: { email: string }): void {
    const weakness = passwordWeakness(password, owner);
    if (weakness) throw fieldError('newPassword', weakness, HttpStatus.UNPROCESSABLE_ENTITY);
  }
}
