import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ConversationAccess } from '../../conversation-access.js';
import type { ConversationView } from '../../conversation-messages.js';
import { Conversation } from '../../conversation.entity.js';
import { OpenConversation } from '../open-conversation/open-conversation.usecase.js';

/** Closes an open conversation (staff and admins; the controller checks the role); closing a closed one changes nothing. */
@Injectable()
export class CloseConversation {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly access: ConversationAccess,
    private readonly openConversation: OpenConversation,
  ) {}

  async execute(caller: AuthUser, id: string): Promise<ConversationView> {
    const { conversation } = await this.access.membership(caller, id);
    if (conversation.status === 'open') {
      await this.em.transactional(async (em) => {
        const closed = await em.nativeUpdate(Conversation, { id, status: 'open' }, { status: 'closed', closedAt: new Date(), closedBy: caller.id });
        if (closed) await this.audit.recordBy(caller, 'conversation.closed', 'conversation', id);
      });
    }
    return this.openConversation.execute(caller, id);
  }
}
