import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { recipientReadSignal, workflowIdForConversationMessage } from '../../../../workflows/conversation-message.contract.js';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { Organization } from '../../../organizations/organization.entity.js';
import { WorkflowOutbox } from '../../../outbox/workflow-outbox.js';
import { ConversationAccess } from '../../conversation-access.js';
import { visibleMessageSql } from '../../conversation-visibility.js';
import { ConversationMessageReceipt } from '../../conversation.entity.js';

/**
 * Marks what the caller has seen as read — every message they may see up to `throughSequence` (the newest
 * message of the page they were shown), or up to the newest there is — records receipts for senders who asked,
 * and tells the messages' workflows so pending reminders are cancelled and read receipts go out. The mark is a
 * message's place in the conversation (numbered by the database), so a message that commits after one already
 * read still counts as unread; it never moves back.
 */
@Injectable()
export class MarkRead {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly access: ConversationAccess,
  ) {}

  async execute(caller: AuthUser, id: string, throughSequence?: number): Promise<ReadMark> {
    const { participant, conversation } = await this.access.membership(caller, id);
    const newlyRead = await this.em
      .execute<Array<{ id: string; seq: string; created_at: Date; read_receipt: boolean }>>(
        `select m.id, m.seq, m.created_at, m.read_receipt from conversation_message m
         join conversation_participant p on p.conversation_id = m.conversation_id and p.user_id = ?
         join app_user u on u.id = p.user_id
        where m.conversation_id = ? and m.author_id <> p.user_id
          and m.seq > p.last_read_seq and m.seq <= ?
          and ${visibleMessageSql('m', 'p', 'u')}
        order by m.seq`,
        [caller.id, id, throughSequence ?? Number.MAX_SAFE_INTEGER],
      )
      .then((rows) => rows.map((row) => ({ ...row, seq: Number(row.seq), created_at: new Date(row.created_at) })));
    const readAt = new Date();
    if (newlyRead.length > 0) {
      const upTo = newlyRead[newlyRead.length - 1].seq;
      await this.em.transactional(async (em) => {
        await em.execute(
          `update conversation_participant set last_read_seq = greatest(last_read_seq, ?), last_read_at = ? where conversation_id = ? and user_id = ?`,
          [upTo, readAt, id, caller.id],
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
      participant.lastReadAt = readAt;
      participant.lastReadSeq = Math.max(participant.lastReadSeq, upTo);
    }
    const [{ unread }] = await this.em.execute<Array<{ unread: number }>>(
      `select count(*)::int as unread from conversation_message m
         join conversation_participant p on p.conversation_id = m.conversation_id and p.user_id = ?
         join app_user u on u.id = p.user_id
        where m.conversation_id = ? and m.author_id <> p.user_id and m.seq > p.last_read_seq and ${visibleMessageSql('m', 'p', 'u')}`,
      [caller.id, id],
    );
    return { conversationId: id, lastReadAt: participant.lastReadAt, lastReadSequence: participant.lastReadSeq, unreadCount: unread };
  }
}

export interface ReadMark {
  conversationId: string;
  lastReadAt: Date | null;
  /** Every message up to this place in the conversation is read. */
  lastReadSequence: number;
  /** Messages after it the caller may see (arrived after what they were shown). */
  unreadCount: number;
}
