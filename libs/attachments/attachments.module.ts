import { Module } from '@nestjs/common';
import { ATTACHMENT_ACCESS_POLICY, UploaderOnlyAttachmentAccessPolicy } from './attachment-access-policy.js';
import { AttachmentStorage } from './attachment-storage.js';
import { AttachmentUploadInterceptor } from './attachment-upload.interceptor.js';
import { AttachmentsController } from './attachments.controller.js';
import { AttachmentsService } from './attachments.service.js';

@Module({
  controllers: [AttachmentsController],
  providers: [
    AttachmentsService,
    AttachmentStorage,
    AttachmentUploadInterceptor,
    // Replaced by the conversations module's policy once attachments belong to conversations.
    { provide: ATTACHMENT_ACCESS_POLICY, useClass: UploaderOnlyAttachmentAccessPolicy },
  ],
  exports: [AttachmentsService],
})
export class AttachmentsModule {}
