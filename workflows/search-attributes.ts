import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// The keys are defined here, with no imports of ours, so workflows can upsert them; libs/temporal re-exports
// them with the builders the API uses. Ids and states only: search attributes are stored unencrypted, so no
// names, addresses or content ever go here.

export const ORGANIZATION_ID = defineSearchAttributeKey('TidingsOrganizationId', SearchAttributeType.KEYWORD);
export const RECIPIENT_ID = defineSearchAttributeKey('TidingsRecipientId', SearchAttributeType.KEYWORD);
export const MESSAGE_ID = defineSearchAttributeKey('TidingsMessageId', SearchAttributeType.KEYWORD);
export const CONVERSATION_ID = defineSearchAttributeKey('TidingsConversationId', SearchAttributeType.KEYWORD);

/** A chat request's task: found by its member, its current assignee, its program or its status (`open`, `closed`, `cancelled`). */
export const MEMBER_ID = defineSearchAttributeKey('TidingsMemberId', SearchAttributeType.KEYWORD);
export const ASSIGNEE_ID = defineSearchAttributeKey('TidingsAssigneeId', SearchAttributeType.KEYWORD);
export const PROGRAM_ID = defineSearchAttributeKey('TidingsProgramId', SearchAttributeType.KEYWORD);
export const TASK_STATUS = defineSearchAttributeKey('TidingsTaskStatus', SearchAttributeType.KEYWORD);

/** A campaign's workflow. */
export const CAMPAIGN_ID = defineSearchAttributeKey('TidingsCampaignId', SearchAttributeType.KEYWORD);

/** Every Keyword attribute Tidings uses; the dev server allows at most 10. */
export const TIDINGS_SEARCH_ATTRIBUTES = [
  ORGANIZATION_ID,
  RECIPIENT_ID,
  MESSAGE_ID,
  CONVERSATION_ID,
  MEMBER_ID,
  ASSIGNEE_ID,
  PROGRAM_ID,
  TASK_STATUS,
  CAMPAIGN_ID,
];
