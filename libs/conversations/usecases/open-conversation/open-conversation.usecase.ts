import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ClientAccount } from '../../../client-accounts/client-account.entity.js';
import { ConversationAccess } from '../../conversation-access.js';
import { type ConversationView } from '../../conversation-messages.js';
import { canSeeParticipant } from '../../conversation-visibility.js';
import { ConversationParticipant } from '../../conversation.entity.js';
import { ListConversationMessages } from '../list-conversation-messages/list-conversation-messages.usecase.js';

/** How many of the newest messages opening a conversation shows; older ones come a page at a time. */
const NEWEST_SHOWN = 100;

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
    private readonly access: ConversationAccess,
    private readonly history: ListConversationMessages,
  ) {}

  async execute(caller: AuthUser, id: string): Promise<ConversationView> {
    const membership = await this.access.membership(caller, id);
    const { conversation, participant, viewer } = membership;
    const participants = await this.em.find(
      ConversationParticipant,
      { conversation: id, leftAt: null },
      { populate: ['user'], orderBy: { addedAt: 'asc', user: 'asc' } },
    );
    const newest = await this.history.page(caller, membership, null, NEWEST_SHOWN);
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
      lastReadSequence: Number(participant.lastReadSeq),
      participants: participants
        .filter((p) => canSeeParticipant(viewer, { userId: p.user.id, role: p.user.role, kind: p.kind }))
        .map((p) => ({ userId: p.user.id, name: p.user.name, role: p.user.role, kind: p.kind, addedAt: p.addedAt })),
      messages: newest.items,
      olderMessagesCursor: newest.olderMessagesCursor,
    };
  }
}
