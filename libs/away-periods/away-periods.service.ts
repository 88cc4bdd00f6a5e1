import { EntityManager, type FilterQuery } from '@mikro-orm/postgresql';
import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { awayPeriodRemovedSignal, awayPeriodSetSignal, workflowIdForChatRequest } from '../../workflows/chat-request.contract.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { Organization } from '../organizations/organization.entity.js';
import { WorkflowOutbox } from '../outbox/workflow-outbox.js';
import { User } from '../users/user.entity.js';
import { lockAwayPeriodsOf, toAwayPeriodNotice } from './away-period-notices.js';
import { AwayPeriod } from './away-period.entity.js';
import { CreateAwayPeriodDto, ListAwayPeriodsQuery } from './away-periods.dto.js';

export interface AwayPeriodView {
  id: string;
  userId: string;
  user: { id: string; name: string };
  coveredBy: { id: string; name: string };
  from: Date;
  until: Date;
  createdAt: Date;
}

/** How many outbox entries one insert carries, so a care manager with many open requests stays within PostgreSQL's parameter limit. */
const SIGNALS_PER_INSERT = 1000;

/**
 * Away periods: while a care manager is away, whoever covers them takes their open chat requests. Each
 * request's workflow decides the moves; setting or removing a period only tells the workflows of the
 * requests the care manager owns, through the outbox, in the period's own transaction and under the care
 * manager's away-period lock (away-period-notices.ts).
 *
 * Admins manage everyone's periods; staff set and remove only their own, and see their own and those in
 * which they cover someone. Members have no part in it.
 */
@Injectable()
export class AwayPeriodsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  /** Overlapping periods of one user are allowed: the workflow follows the one that started last. */
  async create(caller: AuthUser, dto: CreateAwayPeriodDto): Promise<AwayPeriodView> {
    if (caller.role !== 'admin' && dto.userId !== caller.id) throw new ForbiddenException('staff may set away periods only for themselves');
    const from = new Date(dto.from);
    const until = new Date(dto.until);
    if (dto.coveredById === dto.userId) throw fieldError('coveredById', 'cannot cover for oneself', 422);
    if (until.getTime() <= from.getTime()) throw fieldError('until', 'must be after from', 422);
    if (until.getTime() <= Date.now()) throw fieldError('until', 'must be in the future', 422);
    const user = await this.staffOrAdmin(caller.organizationId, dto.userId, 'userId');
    const coveredBy = await this.staffOrAdmin(caller.organizationId, dto.coveredById, 'coveredById');

    const period = Object.assign(new AwayPeriod(), {
      organization: this.em.getReference(Organization, caller.organizationId),
      user,
      coveredBy,
      startsAt: from,
      endsAt: until,
      createdBy: this.em.getReference(User, caller.id),
    });
    await this.em.transactional(async (em) => {
      await lockAwayPeriodsOf(em, user.id, 'change');
      em.persist(period);
      await em.flush();
      const notice = toAwayPeriodNotice({ id: period.id, user_id: user.id, covered_by_id: coveredBy.id, starts_at: from, ends_at: until });
      await signalOpenChatRequestsOf(em, caller.organizationId, user.id, awayPeriodSetSignal.name, notice);
      await this.audit.recordBy(caller, 'away_period.created', 'away_period', period.id, {
        userId: user.id,
        coveredById: coveredBy.id,
        from: from.toISOString(),
        until: until.toISOString(),
      });
    });
    return toView(period);
  }

  /**
   * Periods that have not ended, by start. Admins: the organisation's, or one user's with `userId`. Staff: their
   * own and those in which they cover someone; with `userId` (only their own id) just their own.
   */
  async list(caller: AuthUser, query: ListAwayPeriodsQuery): Promise<{ items: AwayPeriodView[] }> {
    if (caller.role !== 'admin' && query.userId !== undefined && query.userId !== caller.id) {
      throw new ForbiddenException('staff may see only their own away periods and those in which they cover');
    }
    const where: FilterQuery<AwayPeriod> = { organization: caller.organizationId, endsAt: { $gt: new Date() } };
    if (query.userId) where.user = query.userId;
    else if (caller.role !== 'admin') where.$or = [{ user: caller.id }, { coveredBy: caller.id }];
    const periods = await this.em.find(AwayPeriod, where, { populate: ['user', 'coveredBy'], orderBy: { startsAt: 'asc', id: 'asc' }, limit: 1000 });
    return { items: periods.map(toView) };
  }

  /** Admins remove any period of the organisation, staff only their own; another organisation's is not found. */
  async remove(caller: AuthUser, id: string): Promise<void> {
    const period = await this.em.findOne(AwayPeriod, { id, organization: caller.organizationId });
    if (!period) throw new NotFoundException('away period not found');
    if (caller.role !== 'admin' && period.user.id !== caller.id) throw new ForbiddenException('staff may remove only their own away periods');
    const userId = period.user.id;
    await this.em.transactional(async (em) => {
      await lockAwayPeriodsOf(em, userId, 'change');
      // Removed meanwhile by someone else: they have told the workflows.
      if (!(await em.nativeDelete(AwayPeriod, { id }))) return;
      await signalOpenChatRequestsOf(em, caller.organizationId, userId, awayPeriodRemovedSignal.name, { id });
      await this.audit.recordBy(caller, 'away_period.removed', 'away_period', id, { userId, coveredById: period.coveredBy.id });
    });
  }

  private async staffOrAdmin(organizationId: string, id: string, field: string): Promise<User> {
    const user = await this.em.findOne(User, { id, organization: organizationId, role: { $in: ['admin', 'staff'] } });
    if (!user) throw fieldError(field, 'is not a staff or admin user of your organization', 422);
    return user;
  }
}

/** Queues `signal` for the workflow of every open chat request `ownerId` owns; in the caller's transaction, under their away-period lock. */
async function signalOpenChatRequestsOf(em: EntityManager, organizationId: string, ownerId: string, signal: string, arg: unknown): Promise<void> {
  const requests = await em.execute<Array<{ id: string }>>(
    `select id from chat_request where owner_id = ? and organization_id = ? and status = 'open' order by created_at, id`,
    [ownerId, organizationId],
  );
  for (let i = 0; i < requests.length; i += SIGNALS_PER_INSERT) {
    await WorkflowOutbox.enqueue(
      em,
      ...requests
        .slice(i, i + SIGNALS_PER_INSERT)
        .map(({ id }) => ({ kind: 'signal' as const, workflowId: workflowIdForChatRequest(id), signal, args: [arg] })),
    );
  }
}

const toView = (period: AwayPeriod): AwayPeriodView => ({
  id: period.id,
  userId: period.user.id,
  user: { id: period.user.id, name: period.user.name },
  coveredBy: { id: period.coveredBy.id, name: period.coveredBy.name },
  from: period.startsAt,
  until: period.endsAt,
  createdAt: period.createdAt,
});
