import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { recipientReadSignal, workflowIdForConversationMessage } from '../../../../workflows/conversation-message.contract.js';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { Organization } from '../../../organizations/organization.entity.js';
import { WorkflowOutbox } from '../../../outbox/workflow-outbox.js';
import { ConversationAccess } from '../../conversation-access.js';
import { visibleMessageSql } from '../../conversation-visibility.js';
import { ConversationMessageReceipt, ConversationParticipant } from '../../conversation.entity.js';

/**
 * Marks everything the caller may see as read, records receipts for senders who asked, and tells the
 * messages' workflows so pending reminders are cancelled and read receipts go out.
 */
@Injectable()
export class MarkRead {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly access: ConversationAccess,
  ) {}

  async execute(caller: AuthUser, id: string): Promise<{ conversationId: string; lastReadAt: Date | null; unreadCount: number }> {
    const { participant, conversation } = await this.access.membership(caller, id);
    const newlyRead = await this.em
      .execute<Array<{ id: string; created_at: Date; read_receipt: boolean }>>(
        `select m.id, m.created_at, m.read_receipt from conversation_message m
         join conversation_participant p on p.conversation_id = m.conversation_id and p.user_id = ?
         join app_user u on u.id = p.user_id
        where m.conversation_id = ? and m.author_id <> p.user_id
          and m.created_at > coalesce(p.last_read_at, '-infinity'::timestamptz)
          and ${visibleMessageSql('m', 'p', 'u')}
        order by m.created_at`,
        [caller.id, id],
      )
      .then((rows) => rows.map((row) => ({ ...row, created_at: new Date(row.created_at) })));
    const readAt = new Date();
    if (newlyRead.length > 0) {
      const upTo = newlyRead[newlyRead.length - 1].created_at;
      await this.em.transactional(async (em) => {
        await em.nativeUpdate(
          ConversationParticipant,
          { conversation: id, user: caller.id, $or: [{ lastReadAt: null }, { lastReadAt: { $lt: upTo } }] },
          { lastReadAt: upTo },
        );
        const receipts = newlyRead.filter((m) => m.read_receipt);
        if (receipts.length) {
          await em
            .createQueryBuilder(ConversationMessageReceipt)
            .insert(receipts.map((m) => ({ message: m.id, user: caller.id, readAt })))
            .onConflict(['message', 'user'])
            .ignore()
            .execute('run');
        }
        await this.audit.recordBy(caller, 'conversation.read', 'conversation', id, { messageIds: newlyRead.map((m) => m.id) });
        // Only workflows that may still be waiting: a receipt was asked for, or a reminder is pending.
        const { unreadReminderMinutes } = await em.findOneOrFail(Organization, conversation.organization.id, { fields: ['unreadReminderMinutes'] });
        const remindersSince = readAt.getTime() - unreadReminderMinutes * 60_000;
        const waiting = newlyRead.filter((m) => m.read_receipt || (unreadReminderMinutes > 0 && m.created_at.getTime() > remindersSince));
        await WorkflowOutbox.enqueue(
          em,
          ...waiting.map((m) => ({
            kind: 'signal' as const,
            workflowId: workflowIdForConversationMessage(m.id),
            signal: recipientReadSignal.name,
            args: [{ userId: caller.id }],
          })),
        );
      });
      participant.lastReadAt = upTo;
    }
    return { conversationId: id, lastReadAt: participant.lastReadAt, unreadCount: 0 };
  }
}
