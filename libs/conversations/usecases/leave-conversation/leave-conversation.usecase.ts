import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { ConversationAccess } from '../../conversation-access.js';
import { ConversationParticipant } from '../../conversation.entity.js';

/** The caller leaves: the conversation disappears from their list and tells them nothing more. */
@Injectable()
export class LeaveConversation {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly access: ConversationAccess,
  ) {}

  async execute(caller: AuthUser, id: string): Promise<void> {
    await this.access.membership(caller, id);
    await this.em.transactional(async (em) => {
      await em.nativeUpdate(ConversationParticipant, { conversation: id, user: caller.id, leftAt: null }, { leftAt: new Date() });
      await this.audit.recordBy(caller, 'conversation.left', 'conversation', id);
    });
  }
}
