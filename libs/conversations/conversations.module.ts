import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { ClientAccountsModule } from '../client-accounts/client-accounts.module.js';
import { ContactMessagingRules } from './contact-messaging-rules.js';
import { ConversationAccess } from './conversation-access.js';
import { ConversationAttachmentAccessPolicy } from './conversation-attachment-access.policy.js';
import { ConversationMessages } from './conversation-messages.js';
import { ConversationsController } from './conversations.controller.js';
import { InboundEmailAuthGuard } from './inbound-email-auth.guard.js';
import { InboundEmailController } from './inbound-email.controller.js';
import { InboundEmailUploadInterceptor } from './inbound-email-upload.interceptor.js';
import { InboundEmailService } from './inbound-email.service.js';
import { ReplyAddresses } from './reply-address.js';
import { AddParticipants } from './usecases/add-participants/add-participants.usecase.js';
import { CloseConversation } from './usecases/close-conversation/close-conversation.usecase.js';
import { LeaveConversation } from './usecases/leave-conversation/leave-conversation.usecase.js';
import { ListConversations } from './usecases/list-conversations/list-conversations.usecase.js';
import { MarkRead } from './usecases/mark-read/mark-read.usecase.js';
import { OpenConversation } from './usecases/open-conversation/open-conversation.usecase.js';
import { ListConversationMessages } from './usecases/list-conversation-messages/list-conversation-messages.usecase.js';
import { PostMessage } from './usecases/post-message/post-message.usecase.js';
import { ReopenConversation } from './usecases/reopen-conversation/reopen-conversation.usecase.js';
import { StartConversation } from './usecases/start-conversation/start-conversation.usecase.js';

/** One class per use case (usecases/), sharing the access rules and the message store. */
const USE_CASES = [
  StartConversation,
  ListConversations,
  OpenConversation,
  ListConversationMessages,
  PostMessage,
  AddParticipants,
  MarkRead,
  CloseConversation,
  ReopenConversation,
  LeaveConversation,
];

/** Secure conversations in the API: threads, their attachments, and replies that come back by email. */
@Module({
  imports: [AttachmentsModule.forRoot({ accessPolicy: ConversationAttachmentAccessPolicy }), ClientAccountsModule],
  controllers: [ConversationsController, InboundEmailController],
  providers: [
    ...USE_CASES,
    ConversationAccess,
    ConversationMessages,
    ContactMessagingRules,
    InboundEmailAuthGuard,
    InboundEmailService,
    InboundEmailUploadInterceptor,
    ReplyAddresses,
  ],
})
export class ConversationsModule {}
