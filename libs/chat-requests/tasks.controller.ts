import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { CloseTaskDto, ListTasksQuery, ReassignTaskDto } from './chat-request.dto.js';
import { TaskAccess } from './task-access.js';
import { ClaimTask } from './usecases/claim-task/claim-task.usecase.js';
import { CloseTask } from './usecases/close-task/close-task.usecase.js';
import { ListTasks } from './usecases/list-tasks/list-tasks.usecase.js';
import { ReassignTask } from './usecases/reassign-task/reassign-task.usecase.js';

/** Care managers' task queues. Each change is an update of the task's workflow; a change that lost a race is a 409 with the task as it is. */
@ApiTags('tasks')
@ApiBearerAuth()
@Roles('staff', 'admin')
@Controller('v1/tasks')
export class TasksController {
  constructor(
    private readonly listTasks: ListTasks,
    private readonly claimTask: ClaimTask,
    private readonly reassignTask: ReassignTask,
    private readonly closeTask: CloseTask,
    private readonly access: TaskAccess,
  ) {}

  @Get()
  list(@CurrentUser() caller: AuthUser, @Query() query: ListTasksQuery) {
    return this.listTasks.execute(caller, query);
  }

  @Get(':id')
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.access.taskView(caller, id);
  }

  @Post(':id/claim')
  @HttpCode(200)
  claim(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.claimTask.execute(caller, id);
  }

  @Post(':id/reassign')
  @HttpCode(200)
  reassign(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: ReassignTaskDto) {
    return this.reassignTask.execute(caller, id, body);
  }

  @Post(':id/close')
  @HttpCode(200)
  close(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: CloseTaskDto) {
    return this.closeTask.execute(caller, id, body);
  }
}
