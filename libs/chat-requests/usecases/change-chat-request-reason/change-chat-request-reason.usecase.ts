import { Injectable } from '@nestjs/common';
import { changeReasonUpdate } from '../../../../workflows/chat-request.contract.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ChatRequestReasonsService } from '../../../chat-request-reasons/chat-request-reasons.service.js';
import { ChatRequestWorkflows } from '../../chat-request-workflow.js';
import { ChangeChatRequestReasonDto } from '../../chat-request.dto.js';
import { TaskAccess } from '../../task-access.js';
import type { MemberChatRequestView } from '../../task-views.js';

/** The member changes the reason (and, if given, the comment) of their open request; the SLA clock keeps running. */
@Injectable()
export class ChangeChatRequestReason {
  constructor(
    private readonly access: TaskAccess,
    private readonly reasons: ChatRequestReasonsService,
    private readonly workflows: ChatRequestWorkflows,
  ) {}

  async execute(caller: AuthUser, id: string, dto: ChangeChatRequestReasonDto): Promise<MemberChatRequestView> {
    const request = await this.access.memberRequest(caller, id);
    const reason = await this.reasons.chosenReason(caller.organizationId, dto.reasonId);
    await this.workflows.update(
      request.id,
      changeReasonUpdate,
      { reason, ...(dto.comment !== undefined ? { comment: dto.comment } : {}), byUserId: caller.id },
      () => this.access.memberView(caller, id),
    );
    return this.access.memberView(caller, id);
  }
}
