import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import type { Attachment } from './attachment.entity.js';

/** Decides who may download an attachment; the conversations module binds its own to this token. */
export const ATTACHMENT_ACCESS_POLICY = Symbol('ATTACHMENT_ACCESS_POLICY');

export interface AttachmentAccessPolicy {
  canDownload(caller: AuthUser, attachment: Attachment): Promise<boolean>;
}

/**
 * Until conversations exist an attachment belongs to nobody but its uploader, and once a message
 * claims it only the conversation's policy can say who shares it, so this one then refuses everyone.
 */
@Injectable()
export class UploaderOnlyAttachmentAccessPolicy implements AttachmentAccessPolicy {
  async canDownload(caller: AuthUser, attachment: Attachment): Promise<boolean> {
    return (
      attachment.conversationMessageId === null &&
      attachment.organization.id === caller.organizationId &&
      attachment.uploadedBy.id === caller.id
    );
  }
}
