import { EntityManager, raw, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/postgresql';
import { HttpStatus, Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { hashPassword } from '../auth/password.js';
import { passwordWeakness } from '../auth/password-policy.js';
import { Sessions } from '../auth/sessions.js';
import { isValidTimezone } from '../time/time-zones.js';
import { fieldError } from '../http/api-error.filter.js';
import { decodeTextCursor, encodeTextCursor, type Page } from '../http/pagination.js';
import { CreateUserDto, ListUsersQuery, UpdateUserDto } from './user.dto.js';
import { User, type Role, type UserStatus } from './user.entity.js';

export type UserView = Pick<User, 'id' | 'email' | 'name' | 'role' | 'status' | 'phone' | 'timezone' | 'createdAt'> & {
  organizationId: string;
  coordinatorId: string | null;
};

export const toUserView = (user: User): UserView => ({
  id: user.id,
  organizationId: user.organization.id,
  email: user.email,
  name: user.name,
  role: user.role,
  status: user.status,
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
    private readonly sessions: Sessions,
  ) {}

  async create(organizationId: string, dto: CreateUserDto): Promise<UserView> {
    const email = dto.email.toLowerCase();
    if (dto.timezone) assertTimezone(dto.timezone);
    if (await this.em.count(User, { email })) throw fieldError('email', 'is already in use', 409);
    const weakness = dto.password === undefined ? null : passwordWeakness(dto.password, { email });
    if (weakness) throw fieldError('password', weakness, HttpStatus.UNPROCESSABLE_ENTITY);
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

  async list(organizationId: string, query: ListUsersQuery): Promise<Page<UserView>> {
    const where: FilterQuery<User> = { organization: organizationId };
    if (query.role) where.role = query.role;
    if (query.status) where.status = query.status;
    const words = query.q?.trim();
    const pattern = words ? `%${words.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
    const after = decodeTextCursor(query.cursor);
    if (pattern) where.$or = [{ name: { $ilike: pattern } }, { email: { $ilike: pattern } }];
    // Alphabetical, as people look for a name, case-insensitively; the id breaks ties between namesakes.
    if (after) Object.assign(where, { [raw((alias: string) => `(lower(${alias}.name), ${alias}.id) > (?, ?)`, [after.key, after.id])]: [] });
    const users = await this.em.find(User, where, {
      orderBy: [{ [raw((alias: string) => `lower(${alias}.name)`)]: 'asc' }, { id: 'asc' }],
      limit: query.limit + 1,
    });
    const items = users.slice(0, query.limit);
    const last = items.at(-1);
    return { items: items.map(toUserView), nextCursor: users.length > query.limit && last ? encodeTextCursor(last.name.toLowerCase(), last.id) : null };
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
    await this.changeProfile(caller, user, dto);
    if (dto.role !== undefined && dto.role !== user.role) await this.changeRole(caller, user, dto.role);
    if (dto.status !== undefined && dto.status !== user.status) await this.changeStatus(caller, user, dto.status);
    return toUserView(user);
  }

  /** Name, email and phone: what the user is called and reached at. An email in use elsewhere is a 409. */
  private async changeProfile(caller: AuthUser, user: User, dto: UpdateUserDto): Promise<void> {
    const changed: string[] = [];
    if (dto.name !== undefined && dto.name !== user.name) {
      user.name = dto.name;
      changed.push('name');
    }
    if (dto.email !== undefined && dto.email.toLowerCase() !== user.email) {
      user.email = dto.email.toLowerCase();
      changed.push('email');
    }
    if (dto.phone !== undefined && dto.phone !== user.phone) {
      user.phone = dto.phone;
      changed.push('phone');
    }
    if (changed.length === 0) return;
    try {
      await this.em.transactional(async (em) => {
        await em.flush();
        // Which fields, not their values: the audit log is no place for contact details.
        await this.audit.recordBy(caller, 'user.profile_changed', 'user', user.id, { fields: changed });
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw fieldError('email', 'is already in use', 409);
      throw error;
    }
  }

  /**
   * A new role takes effect at once: the user's session version moves on, so access tokens naming the old role are
   * refused and the next refresh carries the new one. The last active admin cannot be demoted (409), checked under
   * the same lock as deactivation.
   */
  private async changeRole(caller: AuthUser, user: User, role: Role): Promise<void> {
    await this.em.transactional(async (em) => {
      if (user.role === 'admin' && user.status === 'active') await this.refuseLastActiveAdmin(em, user, 'role', 'cannot demote the last active admin');
      const previous = user.role;
      user.role = role;
      await em.flush();
      await this.sessions.bumpVersion(user.id, em);
      await this.audit.recordBy(caller, 'user.role_changed', 'user', user.id, { from: previous, to: role });
    });
  }

  /** 409 unless another active admin remains; the organisation's active admins are locked while this is decided. */
  private async refuseLastActiveAdmin(em: EntityManager, user: User, field: string, what: string): Promise<void> {
    const activeAdmins = await em.execute<Array<{ id: string }>>(
      `select id from app_user where organization_id = ? and role = 'admin' and status = 'active' order by id for update`,
      [user.organization.id],
    );
    if (!activeAdmins.some((admin) => admin.id !== user.id)) {
      throw fieldError(field, `${what} of the organization; add or reactivate another admin first`, HttpStatus.CONFLICT);
    }
  }

  /**
   * Deactivates or reactivates a user, audited with the actor. An organisation always keeps an active
   * admin: deactivating the last one is a 409. The check is race-free: the organisation's active admins
   * are locked first, so two admins deactivating each other take turns, and the second sees the first's
   * change (READ COMMITTED re-reads a locked row that changed and drops it from the result).
   */
  private async changeStatus(caller: AuthUser, user: User, status: UserStatus): Promise<void> {
    await this.em.transactional(async (em) => {
      if (status === 'deactivated' && user.role === 'admin') await this.refuseLastActiveAdmin(em, user, 'status', 'cannot deactivate the last active admin');
      user.status = status;
      user.deactivatedAt = status === 'deactivated' ? new Date() : null;
      await em.flush();
      if (status === 'deactivated') await this.sessions.revokeAllOf(user.id, 'deactivated', em);
      await this.audit.recordBy(caller, status === 'deactivated' ? 'user.deactivated' : 'user.reactivated', 'user', user.id);
    });
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
