import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ClientAccount } from '../client-accounts/client-account.entity.js';
import { ClientAccountsService } from '../client-accounts/client-accounts.service.js';
import { fieldError } from '../http/api-error.filter.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';
import { isStaff, type Viewer } from './conversation-visibility.js';
import { Conversation, ConversationParticipant, type RecipientKind } from './conversation.entity.js';

/** A caller's own place in a conversation they are still in. */
export interface Membership {
  conversation: Conversation;
  participant: ConversationParticipant;
  viewer: Viewer;
}

/** A user named in to or cc, with the field that named them (for the error a refusal names). */
export interface Recipient {
  user: User;
  kind: RecipientKind;
  field: 'to' | 'cc';
}

/**
 * The access rules every conversation use case shares: who is in a conversation, whom it may name, what
 * a client account's conversation allows, and when a closed conversation comes back.
 */
@Injectable()
export class ConversationAccess {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clientAccounts: ClientAccountsService,
  ) {}

  /** The caller's membership; another organisation's conversation, or one they are not (or no longer) in, is not found. */
  async membership(caller: AuthUser, id: string): Promise<Membership> {
    const participant = await this.em.findOne(
      ConversationParticipant,
      { conversation: { id, organization: caller.organizationId }, user: caller.id, leftAt: null },
      { populate: ['conversation'] },
    );
    if (!participant) throw new NotFoundException('conversation not found');
    return { conversation: participant.conversation, participant, viewer: { userId: caller.id, role: caller.role, kind: participant.kind } };
  }

  /**
   * A closed conversation takes no replies. Where the organisation lets contacts reopen, a contact's reply
   * or anyone's explicit reopen brings it back; otherwise the answer is a 409 naming the setting.
   */
  async reopenForReply(em: EntityManager, caller: AuthUser, conversation: Conversation, how: 'reply' | 'email reply' | 'reopen'): Promise<void> {
    if (conversation.status === 'open') return;
    const { allowContactsToReopen } = await em.findOneOrFail(Organization, caller.organizationId, { fields: ['allowContactsToReopen'] });
    if (!allowContactsToReopen) {
      throw new ConflictException(`the conversation is closed and cannot be reopened: the organization's allowContactsToReopen setting is off`);
    }
    if (how !== 'reopen' && isStaff(caller.role)) {
      throw new ConflictException('the conversation is closed; reopen it before replying');
    }
    const reopened = await em.nativeUpdate(Conversation, { id: conversation.id, status: 'closed' }, { status: 'open', closedAt: null, closedBy: null });
    if (reopened) await this.audit.recordBy(caller, 'conversation.reopened', 'conversation', conversation.id, { by: how });
    conversation.status = 'open';
    conversation.closedAt = null;
    conversation.closedBy = null;
  }

  /**
   * The users named in to and cc, all of the caller's organisation and, unless in `skip`, active. Someone
   * in both is in To; anyone in `skip` (the caller, or people already in the conversation) is left out.
   */
  async resolveRecipients(organizationId: string, to: string[], cc: string[], skip: string[]): Promise<Recipient[]> {
    const named = [...new Set([...to, ...cc])];
    const users = named.length ? await this.em.find(User, { id: { $in: named }, organization: organizationId }) : [];
    for (const field of ['to', 'cc'] as const) {
      const unknown = (field === 'to' ? to : cc).filter((id) => !users.some((user) => user.id === id));
      if (unknown.length) throw fieldError(field, `must name users of your organization; unknown: ${[...new Set(unknown)].join(', ')}`, 422);
    }
    for (const field of ['to', 'cc'] as const) {
      const inField = new Set(field === 'to' ? to : cc);
      const deactivated = users.filter((user) => inField.has(user.id) && user.status !== 'active' && !skip.includes(user.id)).map((user) => user.id);
      if (deactivated.length) throw fieldError(field, `must not name deactivated users: ${deactivated.join(', ')}`, 422);
    }
    const toSet = new Set(to);
    return users
      .filter((user) => !skip.includes(user.id))
      .map((user) => ({ user, kind: (toSet.has(user.id) ? 'to' : 'cc') as RecipientKind, field: (toSet.has(user.id) ? 'to' : 'cc') as 'to' | 'cc' }))
      .sort((a, b) => named.indexOf(a.user.id) - named.indexOf(b.user.id));
  }

  /** Everyone in a client account's conversation must have access to the account; admins see every account. */
  async checkClientAccount(caller: AuthUser, clientAccountId: string, recipients: Array<{ user: User; field: string }>): Promise<ClientAccount> {
    const account = await this.em.findOne(ClientAccount, { id: clientAccountId, organization: caller.organizationId });
    if (!account) throw fieldError('clientAccountId', 'is not a client account of your organization', 422);
    const withAccess = await this.clientAccounts.usersWithAccess(caller.organizationId, clientAccountId);
    if (caller.role !== 'admin' && !withAccess.has(caller.id)) throw fieldError('clientAccountId', 'is a client account you have no access to', 403);
    const outside = recipients.find(({ user }) => user.role !== 'admin' && !withAccess.has(user.id));
    if (outside) throw fieldError(outside.field, `names ${outside.user.id}, who has no access to the client account`, 422);
    return account;
  }
}
