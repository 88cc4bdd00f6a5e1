import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { UpdateDefinition } from '@temporalio/common';
import {
  CHAT_REQUEST_WORKFLOW,
  TASK_NOT_OPEN,
  workflowIdForChatRequest,
  type AwayPeriodNotice,
  type ChatRequestInput,
  type TaskState,
} from '../../workflows/chat-request.contract.js';
import { chatRequestSearchAttributes } from '../temporal/search-attributes.js';
import { TemporalUnavailableError, WorkflowGateway, type WorkflowStart } from '../temporal/workflow-gateway.js';

/** The start of a chat request's workflow, as the API enqueues it in the request's own transaction. */
export function chatRequestWorkflowStart(request: {
  id: string;
  organizationId: string;
  memberId: string;
  programId: string;
  ownerId: string;
  assigneeId: string;
  chatId: string;
  ownerAwayPeriods: AwayPeriodNotice[];
  dueAt: Date;
  escalateAt: Date;
}): WorkflowStart {
  const input: ChatRequestInput = {
    chatRequestId: request.id,
    ownerId: request.ownerId,
    assigneeId: request.assigneeId,
    ownerAwayPeriods: request.ownerAwayPeriods,
    dueAt: request.dueAt.getTime(),
    escalateAt: request.escalateAt.getTime(),
  };
  return {
    workflowType: CHAT_REQUEST_WORKFLOW,
    workflowId: workflowIdForChatRequest(request.id),
    args: [input],
    searchAttributes: chatRequestSearchAttributes(request),
  };
}

/**
 * Changes to a chat request go through its workflow as updates, which answer only once the change is
 * decided and stored: so of two racing changes (a member's cancel, a care manager's close) one wins and
 * the other is refused. A refusal is a 409 carrying the request as it now is (`current`).
 */
@Injectable()
export class ChatRequestWorkflows {
  constructor(
    private readonly em: EntityManager,
    private readonly gateway: WorkflowGateway,
  ) {}

  async update<Arg>(chatRequestId: string, update: UpdateDefinition<TaskState, [Arg]>, arg: Arg, current: () => Promise<unknown>): Promise<TaskState> {
    const status = async () => {
      const [row] = await this.em.execute<Array<{ status: string }>>(`select status from chat_request where id = ?`, [chatRequestId]);
      return row?.status;
    };
    let outcome;
    try {
      outcome = await this.gateway.updateOnceStarted(workflowIdForChatRequest(chatRequestId), update, arg, async () => (await status()) === 'open');
    } catch (error) {
      if (error instanceof TemporalUnavailableError) throw new ServiceUnavailableException('the task service is unavailable; try again shortly');
      throw error;
    }
    switch (outcome.outcome) {
      case 'done':
        return outcome.result;
      case 'refused':
        if (outcome.type === TASK_NOT_OPEN)
          throw new ConflictException({ statusCode: 409, error: 'Conflict', message: outcome.message, current: await current() });
        throw new ConflictException(outcome.message);
      case 'gone':
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: `the chat request is ${await status()}`, current: await current() });
      case 'not_started':
        throw new ServiceUnavailableException('the chat request is still being set up; try again shortly');
    }
  }
}
