import { EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { careManagerChangedSignal, workflowIdForChatRequest } from '../../workflows/chat-request.contract.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatRequest } from '../chat-requests/chat-request.entity.js';
import { awayPeriodNotices, lockAwayPeriodsOf } from '../away-periods/away-period-notices.js';
import { fieldError } from '../http/api-error.filter.js';
import { Organization } from '../organizations/organization.entity.js';
import { WorkflowOutbox } from '../outbox/workflow-outbox.js';
import { User } from '../users/user.entity.js';
import { CreateEnrollmentDto, CreateProgramDto, UpdateEnrollmentDto, UpdateProgramDto } from './program.dto.js';
import { Enrollment, Program } from './program.entity.js';

export interface ProgramView {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
}

export interface PersonView {
  id: string;
  name: string;
}

export interface EnrollmentView {
  id: string;
  programId: string;
  member: PersonView;
  careManager: PersonView;
  createdAt: Date;
}

/** A member's own enrolment, as the member's app shows it. */
export interface MyProgramView {
  id: string;
  name: string;
  careManager: PersonView;
}

@Injectable()
export class ProgramsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async list(organizationId: string): Promise<{ items: ProgramView[] }> {
    const programs = await this.em.find(Program, { organization: organizationId }, { orderBy: { name: 'asc', id: 'asc' }, limit: 1000 });
    return { items: programs.map(toProgramView) };
  }

  async create(caller: AuthUser, dto: CreateProgramDto): Promise<ProgramView> {
    const program = Object.assign(new Program(), {
      organization: this.em.getReference(Organization, caller.organizationId),
      name: dto.name,
      description: dto.description || null,
    });
    await this.saveProgram(caller, program, 'program.created');
    return toProgramView(program);
  }

  async update(caller: AuthUser, id: string, dto: UpdateProgramDto): Promise<ProgramView> {
    const program = await this.findProgram(caller.organizationId, id);
    if (dto.name === undefined && dto.description === undefined) return toProgramView(program);
    if (dto.name !== undefined) program.name = dto.name;
    if (dto.description !== undefined) program.description = dto.description || null;
    await this.saveProgram(caller, program, 'program.updated');
    return toProgramView(program);
  }

  async enroll(
    caller: AuthUser,
    programId: string,
    dto: CreateEnrollmentDto,
  ): Promise<{ id: string; programId: string; memberId: string; careManagerId: string }> {
    const program = await this.findProgram(caller.organizationId, programId);
    const careManager = await this.careManager(caller.organizationId, dto.careManagerId);
    const member = await this.em.findOne(User, { id: dto.memberId, organization: caller.organizationId, role: 'member' });
    if (!member) throw fieldError('memberId', 'is not a member of your organization', 422);
    if (member.status !== 'active') throw fieldError('memberId', 'is a deactivated user', 422);
    const enrollment = Object.assign(new Enrollment(), {
      organization: this.em.getReference(Organization, caller.organizationId),
      program,
      member,
      careManager,
    });
    try {
      await this.em.transactional(async (em) => {
        em.persist(enrollment);
        await em.flush();
        await this.audit.recordBy(caller, 'enrollment.created', 'enrollment', enrollment.id, {
          programId: program.id,
          memberId: member.id,
          careManagerId: careManager.id,
        });
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw fieldError('memberId', 'is already enrolled in this program', 409);
      throw error;
    }
    return { id: enrollment.id, programId: program.id, memberId: member.id, careManagerId: careManager.id };
  }

  async enrollments(organizationId: string, programId: string): Promise<{ items: EnrollmentView[] }> {
    const program = await this.findProgram(organizationId, programId);
    const enrollments = await this.em.find(
      Enrollment,
      { program: program.id, organization: organizationId },
      { populate: ['member', 'careManager'], orderBy: { createdAt: 'asc', id: 'asc' }, limit: 10_000 },
    );
    return { items: enrollments.map(toEnrollmentView) };
  }

  /**
   * Gives the enrolment another care manager. Its open chat requests move with it: each request's workflow
   * is told, through the outbox in the same transaction, with the new care manager's away periods (read
   * under their lock, so a period set meanwhile is either in the list or signalled to the workflow later).
   */
  async changeCareManager(caller: AuthUser, id: string, dto: UpdateEnrollmentDto): Promise<EnrollmentView> {
    await this.findEnrollment(caller.organizationId, id);
    const careManager = await this.careManager(caller.organizationId, dto.careManagerId);
    const changed = await this.em.transactional(async (em) => {
      // Locked so two changes (or a change and a removal) of the same enrolment take turns.
      const enrollment = await this.lockEnrollment(em, caller.organizationId, id);
      const previousId = enrollment.careManager.id;
      if (previousId === careManager.id) return false;
      await lockAwayPeriodsOf(em, careManager.id, 'assign');
      const awayPeriods = await awayPeriodNotices(em, careManager.id);
      enrollment.careManager = em.getReference(User, careManager.id);
      await em.flush();
      const open = await this.openChatRequests(em, enrollment);
      for (const request of open) {
        await WorkflowOutbox.signal(em, workflowIdForChatRequest(request.id), careManagerChangedSignal.name, {
          ownerId: careManager.id,
          awayPeriods,
          byUserId: caller.id,
        });
      }
      await this.audit.recordBy(caller, 'enrollment.care_manager_changed', 'enrollment', enrollment.id, {
        previousCareManagerId: previousId,
        careManagerId: careManager.id,
        openChatRequestIds: open.map((request) => request.id),
      });
      return true;
    });
    if (changed) this.em.clear();
    return toEnrollmentView(await this.findEnrollment(caller.organizationId, id));
  }

  async remove(caller: AuthUser, id: string): Promise<void> {
    await this.em.transactional(async (em) => {
      const enrollment = await this.lockEnrollment(em, caller.organizationId, id);
      // An enrolment with open chat requests is not removed: those requests' tasks belong to its care
      // manager, and removing it would leave them with no one to return to. Close or cancel them first.
      if ((await this.openChatRequests(em, enrollment)).length) {
        throw new ConflictException('this enrollment has open chat requests: close or cancel its open chat requests first');
      }
      await em.nativeDelete(Enrollment, { id: enrollment.id });
      await this.audit.recordBy(caller, 'enrollment.deleted', 'enrollment', enrollment.id, {
        programId: enrollment.program.id,
        memberId: enrollment.member.id,
        careManagerId: enrollment.careManager.id,
      });
    });
  }

  /** The caller's own enrolments, by program name. */
  async mine(caller: AuthUser): Promise<MyProgramView[]> {
    const enrollments = await this.em.find(
      Enrollment,
      { member: caller.id, organization: caller.organizationId },
      { populate: ['program', 'careManager'], orderBy: { program: { name: 'asc' }, id: 'asc' } },
    );
    return enrollments.map((enrollment) => ({
      id: enrollment.program.id,
      name: enrollment.program.name,
      careManager: personOf(enrollment.careManager),
    }));
  }

  private openChatRequests(em: EntityManager, enrollment: Enrollment) {
    return em.find(
      ChatRequest,
      { program: enrollment.program.id, member: enrollment.member.id, status: 'open' },
      { fields: ['id'], orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  private async careManager(organizationId: string, userId: string): Promise<User> {
    const user = await this.em.findOne(User, { id: userId, organization: organizationId, role: { $in: ['admin', 'staff'] } });
    if (!user) throw fieldError('careManagerId', 'is not a staff or admin user of your organization', 422);
    if (user.status !== 'active') throw fieldError('careManagerId', 'is a deactivated user', 422);
    return user;
  }

  private async saveProgram(caller: AuthUser, program: Program, action: string): Promise<void> {
    try {
      await this.em.transactional(async (em) => {
        em.persist(program);
        await em.flush();
        await this.audit.recordBy(caller, action, 'program', program.id);
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw fieldError('name', 'is already used by another program', 409);
      throw error;
    }
  }

  private async findProgram(organizationId: string, id: string): Promise<Program> {
    const program = await this.em.findOne(Program, { id, organization: organizationId });
    if (!program) throw new NotFoundException('program not found');
    return program;
  }

  /** Inside a transaction: the enrolment, locked until it ends. */
  private async lockEnrollment(em: EntityManager, organizationId: string, id: string): Promise<Enrollment> {
    const enrollment = await em.findOne(Enrollment, { id, organization: organizationId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (!enrollment) throw new NotFoundException('enrollment not found');
    return enrollment;
  }

  private async findEnrollment(organizationId: string, id: string): Promise<Enrollment> {
    const enrollment = await this.em.findOne(Enrollment, { id, organization: organizationId }, { populate: ['member', 'careManager'] });
    if (!enrollment) throw new NotFoundException('enrollment not found');
    return enrollment;
  }
}

const personOf = (user: User): PersonView => ({ id: user.id, name: user.name });

const toProgramView = (program: Program): ProgramView => ({
  id: program.id,
  name: program.name,
  description: program.description,
  createdAt: program.createdAt,
});

const toEnrollmentView = (enrollment: Enrollment): EnrollmentView => ({
  id: enrollment.id,
  programId: enrollment.program.id,
  member: personOf(enrollment.member),
  careManager: personOf(enrollment.careManager),
  createdAt: enrollment.createdAt,
});
