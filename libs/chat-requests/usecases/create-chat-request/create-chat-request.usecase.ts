import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ConflictException, Injectable } from '@nestjs/common';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ChatRequestReasonsService } from '../../../chat-request-reasons/chat-request-reasons.service.js';
import { awayPeriodNotices, lockAwayPeriodsOf, periodCovering } from '../../../away-periods/away-period-notices.js';
import { fieldError } from '../../../http/api-error.filter.js';
import { DEFAULT_CHAT_REQUEST_SETTINGS, Organization } from '../../../organizations/organization.entity.js';
import { WorkflowOutbox } from '../../../outbox/workflow-outbox.js';
import { addBusinessMinutes } from '../../business-hours.js';
import { chatRequestWorkflowStart } from '../../chat-request-workflow.js';
import { CreateChatRequestDto } from '../../chat-request.dto.js';
import { ensureChat } from '../../chats.js';
import { TaskAccess } from '../../task-access.js';
import type { MemberChatRequestView } from '../../task-views.js';

interface EnrollmentRow {
  program_id: string;
  program_name: string;
  care_manager_id: string;
}

/**
 * A member asks for a chat with their care manager in a program. The request, its chat and its workflow's
 * start are one transaction: the task is in the queue (with whoever covers, if the care manager is away)
 * the moment the member sees the confirmation, and its workflow starts whether or not Temporal is up.
 */
@Injectable()
export class CreateChatRequest {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly reasons: ChatRequestReasonsService,
    private readonly access: TaskAccess,
  ) {}

  async execute(caller: AuthUser, dto: CreateChatRequestDto): Promise<MemberChatRequestView> {
    // Independent reads, side by side; the program is checked first so its refusal wins over the reason's.
    const [enrollment, reason, { chatRequestSettings }] = await Promise.all([
      this.enrollmentFor(caller, dto.programId),
      this.reasons.chosenReason(caller.organizationId, dto.reasonId).catch((error: unknown) => ({ refused: error })),
      this.em.findOneOrFail(Organization, caller.organizationId, { fields: ['chatRequestSettings'] }),
    ]);
    if ('refused' in reason) throw reason.refused;
    const settings = { ...DEFAULT_CHAT_REQUEST_SETTINGS, ...chatRequestSettings };
    const id = crypto.randomUUID();
    try {
      await this.em.transactional(async (em) => {
        // Now, not before the lock: an away period set meanwhile is either seen here or signalled to the workflow.
        await lockAwayPeriodsOf(em, enrollment.care_manager_id, 'assign');
        const [{ now }] = await em.execute<Array<{ now: Date }>>(`select now() as now`);
        const createdAt = new Date(now);
        const ownerAwayPeriods = await awayPeriodNotices(em, enrollment.care_manager_id);
        const cover = periodCovering(ownerAwayPeriods, createdAt.getTime());
        const assigneeId = cover?.coveredById ?? enrollment.care_manager_id;
        const chatId = await ensureChat(em, {
          organizationId: caller.organizationId,
          memberId: caller.id,
          careManagerId: assigneeId,
          programId: enrollment.program_id,
          subject: enrollment.program_name,
        });
        const dueAt = addBusinessMinutes(createdAt, settings.firstResponseMinutes, settings.businessHours);
        const escalateAt = addBusinessMinutes(createdAt, settings.escalateAfterMinutes, settings.businessHours);
        await em.execute(
          `insert into chat_request (id, organization_id, program_id, member_id, reason_id, reason_label, comment, status, owner_id, assignee_id, covering,
                                     chat_id, due_at, escalate_at, created_at)
           values (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)`,
          [
            id,
            caller.organizationId,
            enrollment.program_id,
            caller.id,
            reason.id,
            reason.label,
            dto.comment,
            enrollment.care_manager_id,
            assigneeId,
            cover !== null,
            chatId,
            dueAt,
            escalateAt,
            createdAt,
          ],
        );
        await WorkflowOutbox.start(
          em,
          chatRequestWorkflowStart({
            id,
            organizationId: caller.organizationId,
            memberId: caller.id,
            programId: enrollment.program_id,
            ownerId: enrollment.care_manager_id,
            assigneeId,
            chatId,
            ownerAwayPeriods,
            dueAt,
            escalateAt,
          }),
        );
        await this.audit.recordBy(caller, 'chat_request.created', 'chat_request', id, { programId: enrollment.program_id, reasonId: reason.id });
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && /chat_request_one_open_per_program/.test(error.message)) {
        throw new ConflictException('you already have an open chat request in this program; change its reason or cancel it');
      }
      throw error;
    }
    return this.access.memberView(caller, id);
  }

  /** The enrolment the request is for: the program given, or the member's only one. */
  private async enrollmentFor(caller: AuthUser, programId: string | undefined): Promise<EnrollmentRow> {
    const rows = await this.em.execute<EnrollmentRow[]>(
      `select e.program_id, p.name as program_name, e.care_manager_id from enrollment e join program p on p.id = e.program_id
        where e.member_id = ? and e.organization_id = ? ${programId ? 'and e.program_id = ?' : ''} order by p.name limit 2`,
      [caller.id, caller.organizationId, ...(programId ? [programId] : [])],
    );
    if (programId && rows.length === 0) throw fieldError('programId', 'is not a program you are enrolled in', 422);
    if (rows.length === 0) throw fieldError('programId', 'you are not enrolled in any program', 422);
    if (rows.length > 1) throw fieldError('programId', 'is required: you are enrolled in several programs', 422);
    return rows[0];
  }
}
