import { Injectable } from '@nestjs/common';
import { closeUpdate } from '../../../../workflows/chat-request.contract.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ChatRequestWorkflows } from '../../chat-request-workflow.js';
import { CloseTaskDto } from '../../chat-request.dto.js';
import { TaskAccess } from '../../task-access.js';
import type { TaskView } from '../../task-views.js';

/** The assignee or a supervisor closes the task with its outcome: the member's confirmation goes, the chat stays, the workflow ends. */
@Injectable()
export class CloseTask {
  constructor(
    private readonly access: TaskAccess,
    private readonly workflows: ChatRequestWorkflows,
  ) {}

  async execute(caller: AuthUser, id: string, dto: CloseTaskDto): Promise<TaskView> {
    const task = await this.access.task(caller, id);
    await this.access.assertAssigneeOrSupervisor(caller, task, 'close');
    await this.workflows.update(task.id, closeUpdate, { outcome: dto.outcome, byUserId: caller.id }, () => this.access.taskView(caller, id));
    return this.access.taskView(caller, id);
  }
}
