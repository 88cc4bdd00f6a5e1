import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ConversationAccess } from '../../conversation-access.js';
import type { ConversationView } from '../../conversation-messages.js';
import { OpenConversation } from '../open-conversation/open-conversation.usecase.js';

/** Reopens a closed conversation, only where the organisation lets contacts reopen; an open one stays as it is. */
@Injectable()
export class ReopenConversation {
  constructor(
    private readonly em: EntityManager,
    private readonly access: ConversationAccess,
    private readonly openConversation: OpenConversation,
  ) {}

  async execute(caller: AuthUser, id: string): Promise<ConversationView> {
    const { conversation } = await this.access.membership(caller, id);
    await this.em.transactional((em) => this.access.reopenForReply(em, caller, conversation, 'reopen'));
    return this.openConversation.execute(caller, id);
  }
}
