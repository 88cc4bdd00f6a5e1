import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AttachmentAccessPolicy } from '../attachments/attachment-access-policy.js';
import type { Attachment } from '../attachments/attachment.entity.js';
import type { AuthUser } from '../auth/auth-user.js';
import { canSeeMessage } from './conversation-visibility.js';
import { ConversationMessage, ConversationParticipant } from './conversation.entity.js';

/**
 * An unattached upload is its uploader's alone; once a message carries it, whoever may see that message
 * (a participant still in the conversation, within the BCC rule) may download it, and nobody else.
 */
@Injectable()
export class ConversationAttachmentAccessPolicy implements AttachmentAccessPolicy {
  constructor(private readonly em: EntityManager) {}

  async canDownload(caller: AuthUser, attachment: Attachment): Promise<boolean> {
    if (attachment.organization.id !== caller.organizationId) return false;
    if (attachment.conversationMessageId === null) return attachment.uploadedBy.id === caller.id;
    const message = await this.em.findOne(ConversationMessage, { id: attachment.conversationMessageId, conversation: { organization: caller.organizationId } });
    if (!message) return false;
    const participant = await this.em.findOne(ConversationParticipant, { conversation: message.conversation.id, user: caller.id, leftAt: null });
    if (!participant) return false;
    return canSeeMessage({ userId: caller.id, role: caller.role, kind: participant.kind }, { authorId: message.author.id, authorKind: message.authorKind });
  }
}
