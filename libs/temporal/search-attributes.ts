import { defineSearchAttributeKey, SearchAttributePair, SearchAttributeType } from '@temporalio/common';

/**
 * What an engineer searches for in the Temporal UI, e.g. `TidingsMessageId = "…"`. Ids only: search
 * attributes are stored unencrypted, so no names, addresses or content ever go here.
 */
export const ORGANIZATION_ID = defineSearchAttributeKey('TidingsOrganizationId', SearchAttributeType.KEYWORD);
export const RECIPIENT_ID = defineSearchAttributeKey('TidingsRecipientId', SearchAttributeType.KEYWORD);
export const MESSAGE_ID = defineSearchAttributeKey('TidingsMessageId', SearchAttributeType.KEYWORD);

export const CONVERSATION_ID = defineSearchAttributeKey('TidingsConversationId', SearchAttributeType.KEYWORD);

export const TIDINGS_SEARCH_ATTRIBUTES = [ORGANIZATION_ID, RECIPIENT_ID, MESSAGE_ID, CONVERSATION_ID];

export function messageSearchAttributes(ids: { organizationId: string; recipientId: string; messageId: string }): SearchAttributePair[] {
  return [
    { key: ORGANIZATION_ID, value: ids.organizationId },
    { key: RECIPIENT_ID, value: ids.recipientId },
    { key: MESSAGE_ID, value: ids.messageId },
  ];
}

/** A conversation message's workflow: found by its organisation, its conversation, or the message itself. */
export function conversationMessageSearchAttributes(ids: { organizationId: string; conversationId: string; messageId: string }): SearchAttributePair[] {
  return [
    { key: ORGANIZATION_ID, value: ids.organizationId },
    { key: CONVERSATION_ID, value: ids.conversationId },
    { key: MESSAGE_ID, value: ids.messageId },
  ];
}
