import { ForbiddenException, Injectable } from '@nestjs/common';
import { claimUpdate } from '../../../../workflows/chat-request.contract.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ChatRequestWorkflows } from '../../chat-request-workflow.js';
import { TaskAccess } from '../../task-access.js';
import type { TaskView } from '../../task-views.js';

/** A care manager takes the task: its assignee, whoever covers its owner now, or a supervisor. Away periods no longer move it. */
@Injectable()
export class ClaimTask {
  constructor(
    private readonly access: TaskAccess,
    private readonly workflows: ChatRequestWorkflows,
  ) {}

  async execute(caller: AuthUser, id: string): Promise<TaskView> {
    const task = await this.access.task(caller, id);
    const may = task.assignee_id === caller.id || (await this.access.coversOwner(caller, task)) || (await this.access.isSupervisor(caller));
    if (!may) throw new ForbiddenException('only the assignee, whoever covers its care manager, or a supervisor may claim this task');
    await this.workflows.update(task.id, claimUpdate, { byUserId: caller.id }, () => this.access.taskView(caller, id));
    return this.access.taskView(caller, id);
  }
}
