import type { AuthUser } from '../auth/auth-user.js';
import type { Attachment } from './attachment.entity.js';

/** Decides who may download an attachment; whoever owns what attachments belong to supplies it. */
export const ATTACHMENT_ACCESS_POLICY = Symbol('ATTACHMENT_ACCESS_POLICY');

export interface AttachmentAccessPolicy {
  canDownload(caller: AuthUser, attachment: Attachment): Promise<boolean>;
}
