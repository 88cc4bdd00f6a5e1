import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { ClientAccountsModule } from '../client-accounts/client-accounts.module.js';
import { ContactMessagingRules } from './contact-messaging-rules.js';
import { ConversationAttachmentAccessPolicy } from './conversation-attachment-access.policy.js';
import { ConversationsController } from './conversations.controller.js';
import { ConversationsService } from './conversations.service.js';
import { InboundEmailController } from './inbound-email.controller.js';
import { InboundEmailUploadInterceptor } from './inbound-email-upload.interceptor.js';
import { InboundEmailService } from './inbound-email.service.js';
import { ReplyAddresses } from './reply-address.js';

/** Secure conversations in the API: threads, their attachments, and replies that come back by email. */
@Module({
  imports: [AttachmentsModule.forRoot({ accessPolicy: ConversationAttachmentAccessPolicy }), ClientAccountsModule],
  controllers: [ConversationsController, InboundEmailController],
  providers: [ConversationsService, ContactMessagingRules, InboundEmailService, InboundEmailUploadInterceptor, ReplyAddresses],
})
export class ConversationsModule {}
