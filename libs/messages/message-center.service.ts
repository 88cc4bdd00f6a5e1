import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { readSignal, removedByRecipientSignal } from '../../workflows/scheduled-message.contract.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { cursorKeySql, decodeCursor, encodeCursor, type Page } from '../http/pagination.js';
import { WorkflowOutbox } from '../outbox/workflow-outbox.js';
import type { PageQuery } from './dto/list-messages.query.js';
import { toInboxItem, type InboxRow } from './message.views.js';

/**
 * A message is in its recipient's message center from the instant `deliver_at` passes until `dismiss_at`
 * does, unless it was cancelled or removed: the query says so, by the database's clock, not a timer. The
 * partial index `message_center_index` serves exactly this condition. A campaign's messages all leave at
 * the campaign's `dismiss_at`: one rule for every recipient, read from the campaign, not a timer each.
 */
const IN_MESSAGE_CENTER = `m.recipient_id = ? and m.organization_id = ?
  and 'message_center' = any(m.channels) and m.status <> 'cancelled' and m.removed_at is null
  and m.deliver_at <= now() and (m.dismiss_at is null or m.dismiss_at > now())
  and (m.campaign_id is null or not exists (select 1 from campaign c where c.id = m.campaign_id and c.dismiss_at <= now()))`;

const INBOX_COLUMNS = 'm.id, m.title, m.body, greatest(m.deliver_at, m.created_at) as delivered_at, m.read_at, m.dismiss_at, m.deliver_at';

/** The recipient's own message center: list, unread count, read receipt, removal. */
@Injectable()
export class MessageCenterService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async inbox(caller: AuthUser, query: PageQuery): Promise<Page<ReturnType<typeof toInboxItem>>> {
    const after = decodeCursor(query.cursor);
    const rows = await this.em.execute<Array<InboxRow & { cursor_at: string }>>(
      `select ${INBOX_COLUMNS}, ${cursorKeySql('m.deliver_at')} as cursor_at from message m
        where ${IN_MESSAGE_CENTER} ${after ? 'and (m.deliver_at, m.id) < (?, ?)' : ''}
        order by m.deliver_at desc, m.id desc limit ?`,
      [caller.id, caller.organizationId, ...(after ? [after.at, after.id] : []), query.limit + 1],
    );
    const more = rows.length > query.limit;
    const items = more ? rows.slice(0, query.limit) : rows;
    const last = items[items.length - 1];
    return { items: items.map(toInboxItem), nextCursor: more && last ? encodeCursor(last.cursor_at, last.id) : null };
  }

  async unreadCount(caller: AuthUser): Promise<{ count: number }> {
    const [{ count }] = await this.em.execute<Array<{ count: number }>>(
      `select count(*)::int as count from message m where ${IN_MESSAGE_CENTER} and m.read_at is null`,
      [caller.id, caller.organizationId],
    );
    return { count };
  }

  /** The read receipt: stored, audited and on its way to the message's workflow in one transaction. */
  async markRead(caller: AuthUser, id: string) {
    await this.em.transactional(async (em) => {
      const [read] = await em.execute<Array<{ workflow_id: string; read_at: Date; campaign_id: string | null }>>(
        `update message m set read_at = now() where m.id = ? and ${IN_MESSAGE_CENTER} and m.read_at is null returning m.workflow_id, m.read_at, m.campaign_id`,
        [id, caller.id, caller.organizationId],
      );
      if (!read) return;
      await this.audit.recordBy(caller, 'message.read', 'message', id);
      // A campaign's workflow has nothing to do about one recipient's read: the row is the receipt.
      if (read.campaign_id === null) await WorkflowOutbox.signal(em, read.workflow_id, readSignal.name, { readAt: new Date(read.read_at).toISOString() });
    });
    const [row] = await this.em.execute<InboxRow[]>(`select ${INBOX_COLUMNS} from message m where m.id = ? and ${IN_MESSAGE_CENTER}`, [
      id,
      caller.id,
      caller.organizationId,
    ]);
    if (!row) throw new NotFoundException('message not found');
    return toInboxItem(row);
  }

  /** Takes a message out of the caller's message center for good. */
  async remove(caller: AuthUser, id: string): Promise<void> {
    const removed = await this.em.transactional(async (em) => {
      const [row] = await em.execute<Array<{ workflow_id: string; campaign_id: string | null }>>(
        `update message m set removed_at = now(),
                status = case when m.status = 'delivered' then 'dismissed' else m.status end,
                dismissed_at = case when m.status = 'delivered' then now() else m.dismissed_at end
          where m.id = ? and ${IN_MESSAGE_CENTER} returning m.workflow_id, m.campaign_id`,
        [id, caller.id, caller.organizationId],
      );
      if (!row) return false;
      await this.audit.recordBy(caller, 'message.removed_by_recipient', 'message', id);
      if (row.campaign_id === null) await WorkflowOutbox.signal(em, row.workflow_id, removedByRecipientSignal.name);
      return true;
    });
    if (!removed) throw new NotFoundException('message not found');
  }
}
