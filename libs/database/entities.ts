import { AuditEvent } from '../audit/audit-event.entity.js';
import { Message } from '../messages/message.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { PushSubscription } from '../push-subscriptions/push-subscription.entity.js';
import { User } from '../users/user.entity.js';
import { CannedResponse } from '../canned-responses/canned-response.entity.js';
import { ClientAccountAccess } from '../client-accounts/client-account-access.entity.js';
import { ClientAccount } from '../client-accounts/client-account.entity.js';
import { ContactMessagingStaff, ContactMessagingTeam, ReadNotificationRecipient } from '../organizations/organization-settings.entity.js';
import { TeamMember } from '../teams/team-member.entity.js';
import { Team } from '../teams/team.entity.js';
import { Attachment } from '../attachments/attachment.entity.js';
import { Conversation, ConversationMessage, ConversationMessageReceipt, ConversationParticipant } from '../conversations/conversation.entity.js';
import { Delivery, DeliveryAttempt } from '../delivery/delivery.entity.js';
import { DeliveryEvent } from '../delivery/delivery-event.entity.js';
import { InboundEmail } from '../conversations/inbound-email.entity.js';
import { Enrollment, Program } from '../programs/program.entity.js';
import { ChatRequestReason } from '../chat-requests/chat-request-reason.entity.js';
import { ChatRequest, ChatRequestEvent } from '../chat-requests/chat-request.entity.js';
import { AwayPeriod } from '../away-periods/away-period.entity.js';
import { Campaign, CampaignRecipient } from '../campaigns/campaign.entity.js';

/** Every entity, listed once: the ORM, the migrations and the tests all read this list. */
export const ENTITIES = [
  Organization,
  User,
  Message,
  PushSubscription,
  AuditEvent,
  Team,
  TeamMember,
  ClientAccount,
  ClientAccountAccess,
  CannedResponse,
  ContactMessagingStaff,
  ContactMessagingTeam,
  ReadNotificationRecipient,
  Attachment,
  Conversation,
  ConversationParticipant,
  ConversationMessage,
  ConversationMessageReceipt,
  InboundEmail,
  Delivery,
  DeliveryAttempt,
  DeliveryEvent,
  Program,
  Enrollment,
  ChatRequestReason,
  ChatRequest,
  ChatRequestEvent,
  AwayPeriod,
  Campaign,
  CampaignRecipient,
];
