import {
  CONVERSATION_MESSAGE_WORKFLOW,
  workflowIdForConversationMessage,
  type ConversationMessageInput,
} from '../../workflows/conversation-message.contract.js';
import { conversationMessageSearchAttributes } from '../temporal/search-attributes.js';
import type { WorkflowStart } from '../temporal/workflow-gateway.js';

/** The start of a conversation message's workflow: the same whether the API posts it or the reconciler repairs it. */
export function conversationMessageWorkflowStart(ids: { organizationId: string; conversationId: string; messageId: string }): WorkflowStart {
  const input: ConversationMessageInput = { messageId: ids.messageId };
  return {
    workflowType: CONVERSATION_MESSAGE_WORKFLOW,
    workflowId: workflowIdForConversationMessage(ids.messageId),
    args: [input],
    searchAttributes: conversationMessageSearchAttributes(ids),
  };
}
