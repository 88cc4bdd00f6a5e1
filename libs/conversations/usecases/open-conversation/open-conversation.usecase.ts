import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AttachmentsService } from '../../../attachments/attachments.service.js';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ClientAccount } from '../../../client-accounts/client-account.entity.js';
import { ConversationAccess } from '../../conversation-access.js';
import { toMessageView, type ConversationView } from '../../conversation-messages.js';
import { canSeeMessage, canSeeParticipant } from '../../conversation-visibility.js';
import { ConversationMessage, ConversationMessageReceipt, ConversationParticipant } from '../../conversation.entity.js';

/** The newest messages a conversation shows; older ones stay stored but are not returned. */
const MAX_MESSAGES_SHOWN = 500;

/**
 * The conversation as the caller may see it. Every answer that carries its content is recorded in the audit trail
 * as a view — opening it, and the use cases that answer with the thread (start, add participants, close, reopen) —
 * so no route that shows a conversation can forget to.
 */
@Injectable()
export class OpenConversation {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly attachments: AttachmentsService,
    private readonly access: ConversationAccess,
  ) {}

  async execute(caller: AuthUser, id: string): Promise<ConversationView> {
    const { conversation, participant, viewer } = await this.access.membership(caller, id);
    const participants = await this.em.find(
      ConversationParticipant,
      { conversation: id, leftAt: null },
      { populate: ['user'], orderBy: { addedAt: 'asc', user: 'asc' } },
    );
    const newest = await this.em.find(
      ConversationMessage,
      { conversation: id },
      { populate: ['author'], orderBy: { createdAt: 'desc', id: 'desc' }, limit: MAX_MESSAGES_SHOWN },
    );
    const messages = newest.reverse().filter((m) => canSeeMessage(viewer, { authorId: m.author.id, authorKind: m.authorKind }));
    const attachments = await this.attachments.findForMessages(messages.map((m) => m.id));
    const mine = messages.filter((m) => m.author.id === caller.id && m.readReceipt).map((m) => m.id);
    const receipts = mine.length
      ? await this.em.find(ConversationMessageReceipt, { message: { $in: mine } }, { populate: ['user'], orderBy: { readAt: 'asc' } })
      : [];
    await this.audit.recordBy(caller, 'conversation.viewed', 'conversation', id);
    const clientAccount = conversation.clientAccount ? await this.em.findOne(ClientAccount, conversation.clientAccount.id) : null;
    return {
      id: conversation.id,
      subject: conversation.subject,
      status: conversation.status,
      clientAccount: clientAccount ? { id: clientAccount.id, name: clientAccount.name } : null,
      createdAt: conversation.createdAt,
      closedAt: conversation.closedAt,
      lastReadAt: participant.lastReadAt,
      participants: participants
        .filter((p) => canSeeParticipant(viewer, { userId: p.user.id, role: p.user.role, kind: p.kind }))
        .map((p) => ({ userId: p.user.id, name: p.user.name, role: p.user.role, kind: p.kind, addedAt: p.addedAt })),
      messages: messages.map((m) =>
        toMessageView(m, m.author, attachments.get(m.id) ?? [], mine.includes(m.id) ? receipts.filter((r) => r.message.id === m.id) : undefined),
      ),
    };
  }
}
