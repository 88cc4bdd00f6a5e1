import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { User } from '../users/user.entity.js';
import { RateLimiter } from '../rate-limits/rate-limiter.js';
import { verifyPassword } from './password.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly jwt: JwtService,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(email: string, password: string, ip: string) {
    const normalizedEmail = email.trim().toLowerCase();
    const keys = { email: `login:email:${normalizedEmail}`, ip: `login:ip:${ip}` };
    // Counted before the hash, each attempt in a place of its own: of 30 parallel guesses only the allowed few reach
    // argon2. A successful login then gives its places back, so only failures accumulate.
    await this.countAttempt(keys.ip, this.config.rateLimits.loginFailuresPerIp, 'too many failed logins from this address');
    await this.countAttempt(keys.email, this.config.rateLimits.loginFailuresPerEmail, 'too many failed logins for this email');
    const user = await this.em.findOne(User, { email: normalizedEmail }, { populate: ['passwordHash'] });
    // A deactivated user gets the same answer as a wrong password, after the same work: no account enumeration.
    if (!(await verifyPassword(user?.passwordHash ?? null, password)) || !user || user.status !== 'active') {
      throw new UnauthorizedException('email or password is wrong');
    }
    await this.limiter.reset(keys.email);
    await this.limiter.giveBack(keys.ip);
    const accessToken = await this.jwt.signAsync({ sub: user.id, org: user.organization.id, role: user.role }, { expiresIn: this.config.jwtTtlSeconds });
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.config.jwtTtlSeconds,
      user: { id: user.id, organizationId: user.organization.id, role: user.role, email: user.email, name: user.name },
    };
  }

  private async countAttempt(key: string, limit: number, what: string): Promise<void> {
    const windowSeconds = this.config.rateLimits.loginWindowMinutes * 60;
    await this.limiter.take(key, { limit, windowSeconds }, 'email', what);
  }
}
