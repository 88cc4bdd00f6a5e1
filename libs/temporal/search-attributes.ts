import {
  CONVERSATION_ID,
  MEMBER_ID,
  MESSAGE_ID,
  ORGANIZATION_ID,
  PROGRAM_ID,
  RECIPIENT_ID,
  ASSIGNEE_ID,
  TASK_STATUS,
} from '../../workflows/search-attributes.js';

/**
 * What an engineer searches for in the Temporal UI, e.g. `TidingsMessageId = "…"`. The keys live in
 * workflows/search-attributes.ts, where workflows can reach them.
 */
export * from '../../workflows/search-attributes.js';

/** A scheduled message's workflow: found by its organisation, its recipient, or the message itself. */
export function messageSearchAttributes(ids: { organizationId: string; recipientId: string; messageId: string }): Record<string, string> {
  return { [ORGANIZATION_ID.name]: ids.organizationId, [RECIPIENT_ID.name]: ids.recipientId, [MESSAGE_ID.name]: ids.messageId };
}

/** A conversation message's workflow: found by its organisation, its conversation, or the message itself. */
export function conversationMessageSearchAttributes(ids: { organizationId: string; conversationId: string; messageId: string }): Record<string, string> {
  return { [ORGANIZATION_ID.name]: ids.organizationId, [CONVERSATION_ID.name]: ids.conversationId, [MESSAGE_ID.name]: ids.messageId };
}

/**
 * A chat request's workflow, as it starts: its organisation, member, program, first assignee and chat. The
 * workflow keeps the assignee, the chat (TidingsConversationId) and the status up to date as they change.
 */
export function chatRequestSearchAttributes(ids: {
  organizationId: string;
  memberId: string;
  programId: string;
  assigneeId: string;
  chatId: string;
}): Record<string, string> {
  return {
    [ORGANIZATION_ID.name]: ids.organizationId,
    [MEMBER_ID.name]: ids.memberId,
    [PROGRAM_ID.name]: ids.programId,
    [ASSIGNEE_ID.name]: ids.assigneeId,
    [CONVERSATION_ID.name]: ids.chatId,
    [TASK_STATUS.name]: 'open',
  };
}
