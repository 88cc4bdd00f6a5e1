import { SCHEDULED_MESSAGE_WORKFLOW, workflowIdForMessage, type Channel, type ScheduledMessageInput } from '../../workflows/scheduled-message.contract.js';
import { messageSearchAttributes } from '../temporal/search-attributes.js';
import type { WorkflowStart } from '../temporal/workflow-gateway.js';

/** The start of a scheduled message's workflow: the same whether the API schedules it or the reconciler repairs it. */
export function scheduledMessageWorkflowStart(message: {
  id: string;
  organizationId: string;
  recipientId: string;
  deliverAt: Date;
  dismissAt: Date | null;
  channels: Channel[];
}): WorkflowStart {
  const input: ScheduledMessageInput = {
    messageId: message.id,
    deliverAt: message.deliverAt.toISOString(),
    dismissAt: message.dismissAt?.toISOString() ?? null,
    channels: message.channels,
  };
  return {
    workflowType: SCHEDULED_MESSAGE_WORKFLOW,
    workflowId: workflowIdForMessage(message.id),
    args: [input],
    searchAttributes: messageSearchAttributes({ organizationId: message.organizationId, recipientId: message.recipientId, messageId: message.id }),
  };
}
