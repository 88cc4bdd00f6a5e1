import { Injectable } from '@nestjs/common';
import { cancelUpdate } from '../../../../workflows/chat-request.contract.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ChatRequestWorkflows } from '../../chat-request-workflow.js';
import { TaskAccess } from '../../task-access.js';
import type { MemberChatRequestView } from '../../task-views.js';

/** The member withdraws their open request: the task leaves the queue; the chat stays. */
@Injectable()
export class CancelChatRequest {
  constructor(
    private readonly access: TaskAccess,
    private readonly workflows: ChatRequestWorkflows,
  ) {}

  async execute(caller: AuthUser, id: string): Promise<MemberChatRequestView> {
    const request = await this.access.memberRequest(caller, id);
    await this.workflows.update(request.id, cancelUpdate, { byUserId: caller.id }, () => this.access.memberView(caller, id));
    return this.access.memberView(caller, id);
  }
}
