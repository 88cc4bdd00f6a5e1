import { EntityManager } from '@mikro-orm/postgresql';
import { HttpException, HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { User } from '../users/user.entity.js';
import { LoginAttempt } from './login-attempt.entity.js';
import { verifyPassword } from './password.js';

const WINDOW_MINUTES = 15;
const MAX_FAILURES_PER_EMAIL = 5;
const MAX_FAILURES_PER_IP = 50;

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(email: string, password: string, ip: string) {
    const normalizedEmail = email.trim().toLowerCase();
    await this.refuseWhenRateLimited(normalizedEmail, ip);
    const user = await this.em.findOne(User, { email: normalizedEmail }, { populate: ['passwordHash'] });
    // A deactivated user gets the same answer as a wrong password, after the same work: no account enumeration.
    if (!(await verifyPassword(user?.passwordHash ?? null, password)) || !user || user.status !== 'active') {
      await this.em.insert(LoginAttempt, { ...new LoginAttempt(), email: normalizedEmail, ip });
      throw new UnauthorizedException('email or password is wrong');
    }
    await this.em.nativeDelete(LoginAttempt, { email: normalizedEmail });
    const accessToken = await this.jwt.signAsync({ sub: user.id, org: user.organization.id, role: user.role }, { expiresIn: this.config.jwtTtlSeconds });
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.config.jwtTtlSeconds,
      user: { id: user.id, organizationId: user.organization.id, role: user.role, email: user.email, name: user.name },
    };
  }

  private async refuseWhenRateLimited(email: string, ip: string): Promise<void> {
    const since = new Date(Date.now() - WINDOW_MINUTES * 60_000);
    const [byEmail, byIp] = await Promise.all([
      this.em.count(LoginAttempt, { email, attemptedAt: { $gte: since } }),
      this.em.count(LoginAttempt, { ip, attemptedAt: { $gte: since } }),
    ]);
    if (byEmail >= MAX_FAILURES_PER_EMAIL || byIp >= MAX_FAILURES_PER_IP) {
      throw new HttpException(
        { statusCode: 429, error: 'Too Many Requests', message: `too many failed logins; try again in ${WINDOW_MINUTES} minutes` },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }
}
