import { Injectable } from '@nestjs/common';
import { reassignUpdate } from '../../../../workflows/chat-request.contract.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ChatRequestWorkflows } from '../../chat-request-workflow.js';
import { ReassignTaskDto } from '../../chat-request.dto.js';
import { TaskAccess } from '../../task-access.js';
import type { TaskView } from '../../task-views.js';

/** The assignee or a supervisor hands the task to another care manager; the member's chat moves with it. */
@Injectable()
export class ReassignTask {
  constructor(
    private readonly access: TaskAccess,
    private readonly workflows: ChatRequestWorkflows,
  ) {}

  async execute(caller: AuthUser, id: string, dto: ReassignTaskDto): Promise<TaskView> {
    const task = await this.access.task(caller, id);
    await this.access.assertAssigneeOrSupervisor(caller, task, 'reassign');
    await this.access.assertStaff(caller, dto.assigneeId, 'assigneeId');
    await this.workflows.update(task.id, reassignUpdate, { assigneeId: dto.assigneeId, byUserId: caller.id }, () => this.access.taskView(caller, id));
    return this.access.taskView(caller, id);
  }
}
