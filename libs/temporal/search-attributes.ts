import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * What an engineer searches for in the Temporal UI, e.g. `TidingsMessageId = "…"`. Ids only: search
 * attributes are stored unencrypted, so no names, addresses or content ever go here.
 */
export const ORGANIZATION_ID = defineSearchAttributeKey('TidingsOrganizationId', SearchAttributeType.KEYWORD);
export const RECIPIENT_ID = defineSearchAttributeKey('TidingsRecipientId', SearchAttributeType.KEYWORD);
export const MESSAGE_ID = defineSearchAttributeKey('TidingsMessageId', SearchAttributeType.KEYWORD);

export const CONVERSATION_ID = defineSearchAttributeKey('TidingsConversationId', SearchAttributeType.KEYWORD);

export const TIDINGS_SEARCH_ATTRIBUTES = [ORGANIZATION_ID, RECIPIENT_ID, MESSAGE_ID, CONVERSATION_ID];

/** A scheduled message's workflow: found by its organisation, its recipient, or the message itself. */
export function messageSearchAttributes(ids: { organizationId: string; recipientId: string; messageId: string }): Record<string, string> {
  return { [ORGANIZATION_ID.name]: ids.organizationId, [RECIPIENT_ID.name]: ids.recipientId, [MESSAGE_ID.name]: ids.messageId };
}

/** A conversation message's workflow: found by its organisation, its conversation, or the message itself. */
export function conversationMessageSearchAttributes(ids: { organizationId: string; conversationId: string; messageId: string }): Record<string, string> {
  return { [ORGANIZATION_ID.name]: ids.organizationId, [CONVERSATION_ID.name]: ids.conversationId, [MESSAGE_ID.name]: ids.messageId };
}
