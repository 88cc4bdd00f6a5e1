import { DynamicModule, Module, Type } from '@nestjs/common';
import { ATTACHMENT_ACCESS_POLICY, type AttachmentAccessPolicy } from './attachment-access-policy.js';
import { AttachmentStorage } from './attachment-storage.js';
import { AttachmentUploadInterceptor } from './attachment-upload.interceptor.js';
import { AttachmentsController } from './attachments.controller.js';
import { AttachmentsService } from './attachments.service.js';

/** Uploads and downloads; who may download is the access policy of whatever attachments belong to. */
@Module({})
export class AttachmentsModule {
  static forRoot(options: { accessPolicy: Type<AttachmentAccessPolicy> }): DynamicModule {
    return {
      module: AttachmentsModule,
      controllers: [AttachmentsController],
      providers: [AttachmentsService, AttachmentStorage, AttachmentUploadInterceptor, { provide: ATTACHMENT_ACCESS_POLICY, useClass: options.accessPolicy }],
      exports: [AttachmentsService, AttachmentStorage],
    };
  }
}
