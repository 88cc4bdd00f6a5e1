import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable } from '@nestjs/common';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { fieldError } from '../../../http/api-error.filter.js';
import { ContactMessagingRules } from '../../contact-messaging-rules.js';
import { ConversationAccess } from '../../conversation-access.js';
import { ConversationMessages, type ConversationView } from '../../conversation-messages.js';
import { AddParticipantsDto } from '../../conversation.dto.js';
import { ConversationParticipant } from '../../conversation.entity.js';
import { OpenConversation } from '../open-conversation/open-conversation.usecase.js';

/** New recipients in an open conversation; they see its history as the BCC rule allows. */
@Injectable()
export class AddParticipants {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly access: ConversationAccess,
    private readonly messages: ConversationMessages,
    private readonly contactRules: ContactMessagingRules,
    private readonly openConversation: OpenConversation,
  ) {}

  async execute(caller: AuthUser, id: string, dto: AddParticipantsDto): Promise<ConversationView> {
    if (!dto.to?.length && !dto.cc?.length) throw fieldError('to', 'name at least one recipient in to or cc', 422);
    const { conversation } = await this.access.membership(caller, id);
    if (conversation.kind === 'chat') throw new ConflictException('a chat is between a member and their care manager; it takes no other recipients');
    if (conversation.status === 'closed') throw new ConflictException('the conversation is closed; it takes no new recipients');
    const current = await this.em.find(ConversationParticipant, { conversation: id, leftAt: null });
    // The contact rules judge everyone named, those already here too: were people already in the conversation
    // skipped first, a contact could tell a blind-copied contact (a quiet no-op) from anyone else (a 403).
    const named = await this.access.resolveRecipients(caller.organizationId, dto.to ?? [], dto.cc ?? [], [caller.id]);
    await this.contactRules.assertMayMessage(caller, named);
    const present = new Set(current.map((p) => p.user.id));
    const recipients = named.filter(({ user }) => !present.has(user.id));
    if (conversation.clientAccount) await this.access.checkClientAccount(caller, conversation.clientAccount.id, recipients);
    if (recipients.length > 0) {
      await this.em.transactional(async (em) => {
        const now = new Date();
        for (const { user, kind } of recipients) {
          // Someone who left and is added again comes back as newly added.
          await em.execute(
            `insert into conversation_participant (conversation_id, user_id, kind, added_by_id, added_at, last_activity_at)
             values (?, ?, ?, ?, ?, ?)
             on conflict (conversation_id, user_id) do update
               set kind = excluded.kind, added_by_id = excluded.added_by_id, added_at = excluded.added_at,
                   left_at = null, last_read_at = null, last_read_seq = 0, last_activity_at = excluded.last_activity_at, last_message_id = null`,
            [id, user.id, kind, caller.id, now, now],
          );
        }
        await this.messages.refreshInboxRows(
          em,
          id,
          recipients.map((r) => r.user.id),
        );
        await this.audit.recordBy(caller, 'conversation.participants_added', 'conversation', id, {
          to: recipients.filter((r) => r.kind === 'to').map((r) => r.user.id),
          cc: recipients.filter((r) => r.kind === 'cc').map((r) => r.user.id),
        });
      });
    }
    return this.openConversation.execute(caller, id);
  }
}
