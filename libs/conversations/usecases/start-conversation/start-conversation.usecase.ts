import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { CannedResponse } from '../../../canned-responses/canned-response.entity.js';
import { fieldError } from '../../../http/api-error.filter.js';
import { Organization } from '../../../organizations/organization.entity.js';
import { User } from '../../../users/user.entity.js';
import { ContactMessagingRules } from '../../contact-messaging-rules.js';
import { ConversationAccess } from '../../conversation-access.js';
import { ConversationMessages, type ConversationView, type NewMessage } from '../../conversation-messages.js';
import { sanitizedBody } from '../../../rich-text/sanitized-body.js';
import { isStaff } from '../../conversation-visibility.js';
import { StartConversationDto } from '../../conversation.dto.js';
import { Conversation, ConversationParticipant, type RecipientKind } from '../../conversation.entity.js';
import { OpenConversation } from '../open-conversation/open-conversation.usecase.js';

/**
 * A new conversation with its first message: staff write to anyone in their organisation, members only to
 * the staff the organisation's rules allow; a client account limits it to those with access to the account.
 */
@Injectable()
export class StartConversation {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly access: ConversationAccess,
    private readonly messages: ConversationMessages,
    private readonly contactRules: ContactMessagingRules,
    private readonly openConversation: OpenConversation,
  ) {}

  async execute(caller: AuthUser, dto: StartConversationDto): Promise<ConversationView & { firstMessageId: string }> {
    const body = await this.startingBody(caller, dto);
    const recipients = await this.access.resolveRecipients(caller.organizationId, dto.to, dto.cc ?? [], [caller.id]);
    if (recipients.length === 0) throw fieldError('to', 'must name someone other than yourself', 422);
    const clientAccount = dto.clientAccountId ? await this.access.checkClientAccount(caller, dto.clientAccountId, recipients) : null;
    await this.contactRules.assertMayMessage(caller, recipients);
    // Sanitized only once the caller may write to these people: a refused start costs no sanitizing.
    const content: NewMessage = { ...sanitizedBody(body), attachmentIds: dto.attachmentIds ?? [], readReceipt: dto.readReceipt ?? false, source: 'app' };

    const conversation = Object.assign(new Conversation(), {
      organization: this.em.getReference(Organization, caller.organizationId),
      clientAccount,
      subject: dto.subject,
      createdBy: this.em.getReference(User, caller.id),
    });
    const message = await this.em.transactional(async (em) => {
      em.persist(conversation);
      const now = conversation.createdAt;
      const everyone = [{ user: { id: caller.id }, kind: 'to' as RecipientKind }, ...recipients];
      for (const { user, kind } of everyone) {
        em.persist(
          Object.assign(new ConversationParticipant(), {
            conversation,
            user: em.getReference(User, user.id),
            kind,
            addedBy: em.getReference(User, caller.id),
            addedAt: now,
            lastActivityAt: now,
          }),
        );
      }
      await em.flush();
      await this.audit.recordBy(caller, 'conversation.started', 'conversation', conversation.id, {
        to: recipients.filter((r) => r.kind === 'to').map((r) => r.user.id),
        cc: recipients.filter((r) => r.kind === 'cc').map((r) => r.user.id),
        clientAccountId: clientAccount?.id ?? null,
      });
      const first = await this.messages.append(em, caller, conversation.id, content);
      // The caller joined the conversation, created open, in this transaction: nobody else can have changed that.
      if (first.outcome !== 'appended') throw new Error(`conversation ${conversation.id} took no first message: ${first.outcome}`);
      return first.appended.message;
    });
    return { ...(await this.openConversation.execute(caller, conversation.id)), firstMessageId: message.id };
  }

  /** The body to start with, not yet sanitized: the caller's own, else the canned response they picked (staff only). */
  private async startingBody(caller: AuthUser, dto: StartConversationDto): Promise<string> {
    let body = dto.body;
    if (dto.cannedResponseId) {
      if (!isStaff(caller.role)) throw fieldError('cannedResponseId', 'canned responses are for staff', 403);
      const canned = await this.em.findOne(CannedResponse, { id: dto.cannedResponseId, organization: caller.organizationId });
      if (!canned) throw fieldError('cannedResponseId', 'is not a canned response of your organization', 422);
      body ??= canned.body;
    }
    if (body === undefined) throw fieldError('body', 'is required unless cannedResponseId is given', 422);
    return body;
  }
}
