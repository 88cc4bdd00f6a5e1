import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { hashPassword } from '../auth/password.js';
import { isValidTimezone } from '../chat-requests/business-hours.js';
import { fieldError } from '../http/api-error.filter.js';
import { CreateUserDto, UpdateUserDto } from './user.dto.js';
import { User } from './user.entity.js';

export type UserView = Pick<User, 'id' | 'email' | 'name' | 'role' | 'phone' | 'timezone' | 'createdAt'> & {
  organizationId: string;
  coordinatorId: string | null;
};

export const toUserView = (user: User): UserView => ({
  id: user.id,
  organizationId: user.organization.id,
  email: user.email,
  name: user.name,
  role: user.role,
  phone: user.phone,
  timezone: user.timezone,
  coordinatorId: user.coordinator?.id ?? null,
  createdAt: user.createdAt,
});

@Injectable()
export class UsersService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async create(organizationId: string, dto: CreateUserDto): Promise<UserView> {
    const email = dto.email.toLowerCase();
    if (dto.timezone) assertTimezone(dto.timezone);
    if (await this.em.count(User, { email })) throw fieldError('email', 'is already in use', 409);
    const user = this.em.create(User, {
      ...new User(),
      organization: organizationId,
      email,
      name: dto.name,
      role: dto.role,
      phone: dto.phone ?? null,
      timezone: dto.timezone ?? null,
      passwordHash: dto.password ? await hashPassword(dto.password) : null,
    });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw fieldError('email', 'is already in use', 409);
      throw error;
    }
    return toUserView(user);
  }

  async list(organizationId: string, role?: string): Promise<UserView[]> {
    const users = await this.em.find(
      User,
      { organization: organizationId, ...(role ? { role: role as User['role'] } : {}) },
      { orderBy: { name: 'asc', id: 'asc' }, limit: 1000 },
    );
    return users.map(toUserView);
  }

  /** Another organisation's user, or anyone but yourself for a member, is simply not found. */
  async get(caller: AuthUser, id: string): Promise<UserView> {
    const user = await this.em.findOne(User, { id, organization: caller.organizationId });
    if (!user || (caller.role === 'member' && user.id !== caller.id)) throw new NotFoundException('user not found');
    return toUserView(user);
  }

  async update(caller: AuthUser, id: string, dto: UpdateUserDto): Promise<UserView> {
    const user = await this.em.findOne(User, { id, organization: caller.organizationId });
    if (!user) throw new NotFoundException('user not found');
    if (dto.timezone !== undefined && dto.timezone !== user.timezone) {
      if (dto.timezone !== null) assertTimezone(dto.timezone);
      user.timezone = dto.timezone;
      await this.em.transactional(async (em) => {
        await em.flush();
        await this.audit.recordBy(caller, 'user.timezone_changed', 'user', user.id, { timezone: dto.timezone });
      });
    }
    if (dto.coordinatorId !== undefined && dto.coordinatorId !== (user.coordinator?.id ?? null)) {
      user.coordinator = dto.coordinatorId === null ? null : await this.coordinatorFor(user, dto.coordinatorId);
      await this.em.transactional(async (em) => {
        await em.flush();
        await this.audit.recordBy(caller, 'user.coordinator_changed', 'user', user.id, { coordinatorId: dto.coordinatorId });
      });
    }
    return toUserView(user);
  }

  private async coordinatorFor(user: User, coordinatorId: string): Promise<User> {
    if (user.role !== 'member') throw fieldError('coordinatorId', 'only members have a coordinator', 422);
    const coordinator = await this.em.findOne(User, { id: coordinatorId, organization: user.organization.id, role: { $in: ['admin', 'staff'] } });
    if (!coordinator) throw fieldError('coordinatorId', 'is not a staff or admin user of your organization', 422);
    return coordinator;
  }
}

function assertTimezone(zone: string): void {
  if (!isValidTimezone(zone)) throw fieldError('timezone', `must be an IANA time zone such as America/Chicago; not ${zone}`, 422);
}
