import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatRequestReason } from '../chat-requests/chat-request-reason.entity.js';
import { ChatRequest } from '../chat-requests/chat-request.entity.js';
import { fieldError } from '../http/api-error.filter.js';
import { Organization } from '../organizations/organization.entity.js';
import { CreateChatRequestReasonDto, UpdateChatRequestReasonDto } from './chat-request-reason.dto.js';

export interface ChatRequestReasonView {
  id: string;
  label: string;
  active: boolean;
}

@Injectable()
export class ChatRequestReasonsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  /** The organisation's reasons in the order they were added; `active` narrows to the active (or the retired) ones. */
  async list(organizationId: string, active?: boolean): Promise<{ items: ChatRequestReasonView[] }> {
    const reasons = await this.em.find(
      ChatRequestReason,
      { organization: organizationId, ...(active === undefined ? {} : { active }) },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: 1000 },
    );
    return { items: reasons.map(toReasonView) };
  }

  async create(caller: AuthUser, dto: CreateChatRequestReasonDto): Promise<ChatRequestReasonView> {
    const reason = Object.assign(new ChatRequestReason(), {
      organization: this.em.getReference(Organization, caller.organizationId),
      label: dto.label,
      active: dto.active ?? true,
    });
    await this.save(caller, reason, 'chat_request_reason.created');
    return toReasonView(reason);
  }

  async update(caller: AuthUser, id: string, dto: UpdateChatRequestReasonDto): Promise<ChatRequestReasonView> {
    const reason = await this.find(caller.organizationId, id);
    const changes: Partial<ChatRequestReasonView> = {};
    if (dto.label !== undefined && dto.label !== reason.label) changes.label = dto.label;
    if (dto.active !== undefined && dto.active !== reason.active) changes.active = dto.active;
    if (!Object.keys(changes).length) return toReasonView(reason);
    Object.assign(reason, changes);
    await this.save(caller, reason, 'chat_request_reason.updated', changes);
    return toReasonView(reason);
  }

  /**
   * Deletes a reason no request was made with (and answers null). A reason some request used stays, made
   * inactive, and is answered: those requests keep their label either way (chat_request.reason_label).
   */
  async remove(caller: AuthUser, id: string): Promise<ChatRequestReasonView | null> {
    await this.find(caller.organizationId, id);
    return this.em.transactional(async (em) => {
      // Locked first, so a request being made with it right now is either counted here or waits for the answer.
      const reason = await em.findOne(ChatRequestReason, { id, organization: caller.organizationId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!reason) throw new NotFoundException('chat request reason not found');
      if (await em.count(ChatRequest, { reason: reason.id })) {
        if (reason.active) {
          await em.nativeUpdate(ChatRequestReason, { id: reason.id }, { active: false });
          await this.audit.recordBy(caller, 'chat_request_reason.updated', 'chat_request_reason', reason.id, { active: false });
        }
        return { ...toReasonView(reason), active: false };
      }
      await em.nativeDelete(ChatRequestReason, { id: reason.id });
      await this.audit.recordBy(caller, 'chat_request_reason.deleted', 'chat_request_reason', reason.id);
      return null;
    });
  }

  /**
   * The reason a member chose for a request, checked: one of the caller's organisation, and still offered.
   * `field` names the request field in the 422.
   */
  async chosenReason(organizationId: string, reasonId: string, field = 'reasonId'): Promise<{ id: string; label: string }> {
    const reason = await this.em.findOne(ChatRequestReason, { id: reasonId, organization: organizationId });
    if (!reason) throw fieldError(field, 'is not a reason of your organization', 422);
    if (!reason.active) throw fieldError(field, 'is no longer offered; choose an active reason', 422);
    return { id: reason.id, label: reason.label };
  }

  private async save(caller: AuthUser, reason: ChatRequestReason, action: string, details?: Record<string, unknown>): Promise<void> {
    await this.em.transactional(async (em) => {
      em.persist(reason);
      await em.flush();
      await this.audit.recordBy(caller, action, 'chat_request_reason', reason.id, details);
    });
  }

  private async find(organizationId: string, id: string): Promise<ChatRequestReason> {
    const reason = await this.em.findOne(ChatRequestReason, { id, organization: organizationId });
    if (!reason) throw new NotFoundException('chat request reason not found');
    return reason;
  }
}

const toReasonView = (reason: ChatRequestReason): ChatRequestReasonView => ({ id: reason.id, label: reason.label, active: reason.active });
