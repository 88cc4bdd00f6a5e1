import { Module } from '@nestjs/common';
import { ChatRequestReasonsModule } from '../chat-request-reasons/chat-request-reasons.module.js';
import { ChatRequestWorkflows } from './chat-request-workflow.js';
import { MemberChatRequestsController } from './member-chat-requests.controller.js';
import { TaskAccess } from './task-access.js';
import { TasksController } from './tasks.controller.js';
import { GetChatRequestForm } from './usecases/chat-request-form/chat-request-form.usecase.js';
import { CancelChatRequest } from './usecases/cancel-chat-request/cancel-chat-request.usecase.js';
import { ChangeChatRequestReason } from './usecases/change-chat-request-reason/change-chat-request-reason.usecase.js';
import { ClaimTask } from './usecases/claim-task/claim-task.usecase.js';
import { CloseTask } from './usecases/close-task/close-task.usecase.js';
import { CreateChatRequest } from './usecases/create-chat-request/create-chat-request.usecase.js';
import { ListMemberChatRequests } from './usecases/list-member-chat-requests/list-member-chat-requests.usecase.js';
import { ListMemberChats } from './usecases/list-member-chats/list-member-chats.usecase.js';
import { ListTasks } from './usecases/list-tasks/list-tasks.usecase.js';
import { ReassignTask } from './usecases/reassign-task/reassign-task.usecase.js';

const USE_CASES = [
  CreateChatRequest,
  ListMemberChatRequests,
  ChangeChatRequestReason,
  CancelChatRequest,
  GetChatRequestForm,
  ListMemberChats,
  ListTasks,
  ClaimTask,
  ReassignTask,
  CloseTask,
];

/** Chat requests in the API: the member's requests and chats, and the care managers' task queues. */
@Module({
  imports: [ChatRequestReasonsModule],
  controllers: [MemberChatRequestsController, TasksController],
  providers: [...USE_CASES, TaskAccess, ChatRequestWorkflows],
})
export class ChatRequestsModule {}
