import { EntityManager, ObjectQuery, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { cancelSignal, readSignal, removedByRecipientSignal, rescheduleSignal, scheduledMessage, workflowIdForMessage } from '../../workflows/scheduled-message.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { decodeCursor, encodeCursor, Page } from '../http/pagination.js';
import { messageSearchAttributes } from '../temporal/search-attributes.js';
import { TemporalClient } from '../temporal/temporal.module.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';
import { ListMessagesQuery, PageQuery } from './dto/list-messages.query.js';
import { MAX_BODY_BYTES, RescheduleMessageDto, ScheduleMessageDto } from './dto/schedule-message.dto.js';
import { MessageDelivery } from './message-delivery.entity.js';
import { Message } from './message.entity.js';
import { toInboxItem, toMessageView, toScheduledView } from './message.views.js';

const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3600_000;
/** A deliverAt this little in the past is the caller's clock, not a mistake: deliver now. */
const PAST_TOLERANCE_MS = 5 * 60_000;

@Injectable()
export class MessagesService {
  private readonly logger = new Logger(MessagesService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly temporal: TemporalClient,
    private readonly audit: AuditService,
  ) {}

  async schedule(caller: AuthUser, dto: ScheduleMessageDto, idempotencyKey?: string) {
    const requestHash = createHash('sha256').update(JSON.stringify(dto)).digest('hex');
    if (idempotencyKey !== undefined) {
      if (!/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) throw fieldError('Idempotency-Key', 'must be 1 to 200 visible ASCII characters');
      const earlier = await this.findByIdempotencyKey(caller, idempotencyKey, requestHash);
      if (earlier) return earlier;
    }
    if (Buffer.byteLength(dto.body, 'utf8') > MAX_BODY_BYTES) throw fieldError('body', `must be at most ${MAX_BODY_BYTES} bytes`, 413);
    const now = Date.now();
    const deliverAt = dto.deliverAt ? new Date(dto.deliverAt) : new Date(now);
    if (deliverAt.getTime() < now - PAST_TOLERANCE_MS) throw fieldError('deliverAt', 'must not be in the past');
    if (deliverAt.getTime() > now + MAX_SCHEDULE_AHEAD_MS) throw fieldError('deliverAt', 'must be at most a year ahead');
    const dismissAt = dto.dismissAt ? new Date(dto.dismissAt) : null;
    if (dismissAt && dismissAt <= deliverAt) throw fieldError('dismissAt', 'must be after deliverAt');
    const recipient = await this.em.findOne(User, { id: dto.recipientId, organization: caller.organizationId });
    if (!recipient) throw fieldError('recipientId', 'is not a user of your organization', 422);

    const message = new Message();
    Object.assign(message, {
      organization: this.em.getReference(Organization, caller.organizationId),
      recipient,
      createdBy: this.em.getReference(User, caller.id),
      title: dto.title,
      body: dto.body,
      channels: dto.channels,
      deliverAt,
      dismissAt,
      workflowId: workflowIdForMessage(message.id),
      idempotencyKey: idempotencyKey ?? null,
      requestHash: idempotencyKey ? requestHash : null,
    });
    try {
      // The workflow starts inside the transaction: if Temporal refuses, nothing is written. If the commit
      // fails after the start, the workflow finds no message when it wakes and ends without delivering.
      await this.em.transactional(async (em) => {
        em.persist(message);
        for (const channel of dto.channels) em.persist(Object.assign(new MessageDelivery(), { message, channel }));
        await em.flush();
        await this.audit.recordBy(caller, 'message.scheduled', 'message', message.id, { recipientId: recipient.id, channels: dto.channels, deliverAt, dismissAt });
        await this.startWorkflow(message, caller.organizationId);
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && idempotencyKey) {
        // A concurrent retry with the same key won the race; answer as it did.
        const earlier = await this.findByIdempotencyKey(caller, idempotencyKey, requestHash);
        if (earlier) return earlier;
      }
      throw error;
    }
    return toScheduledView(message);
  }

  async list(caller: AuthUser, query: ListMessagesQuery): Promise<Page<ReturnType<typeof toMessageView>>> {
    const where: ObjectQuery<Message> = { organization: caller.organizationId };
    if (query.recipientId) where.recipient = query.recipientId;
    if (query.status) where.status = query.status;
    const after = decodeCursor(query.cursor);
    if (after) where.$or = [{ createdAt: { $lt: after.at } }, { createdAt: after.at, id: { $lt: after.id } }];
    const messages = await this.em.find(Message, where, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: query.limit + 1,
      populate: ['deliveries'],
    });
    return this.page(messages, query.limit, (m) => m.createdAt, toMessageView);
  }

  async get(caller: AuthUser, id: string) {
    return toMessageView(await this.findVisible(caller, id));
  }

  async cancel(caller: AuthUser, id: string) {
    const message = await this.findVisible(caller, id);
    const cancelledAt = new Date();
    const changed = await this.em.nativeUpdate(Message, { id, status: 'scheduled' }, { status: 'cancelled', cancelledAt });
    if (!changed) {
      await this.em.refresh(message);
      throw new ConflictException(`the message is already ${message.status} and can no longer be cancelled`);
    }
    await this.em.nativeUpdate(MessageDelivery, { message: id, status: 'pending' }, { status: 'skipped', lastError: 'message cancelled' });
    await this.audit.recordBy(caller, 'message.cancelled', 'message', id);
    await this.signal(message.workflowId, (handle) => handle.signal(cancelSignal));
    return this.get(caller, id);
  }

  async reschedule(caller: AuthUser, id: string, dto: RescheduleMessageDto) {
    const message = await this.findVisible(caller, id);
    if (dto.deliverAt === undefined && dto.dismissAt === undefined) throw fieldError('body', 'give deliverAt, dismissAt or both');
    if (dto.deliverAt !== undefined && message.status !== 'scheduled') {
      throw new ConflictException(`the message is already ${message.status}; its delivery time can no longer change`);
    }
    if (!['scheduled', 'delivered'].includes(message.status)) {
      throw new ConflictException(`the message is ${message.status}; its schedule can no longer change`);
    }
    const now = Date.now();
    const deliverAt = dto.deliverAt !== undefined ? new Date(dto.deliverAt) : message.deliverAt;
    if (dto.deliverAt !== undefined) {
      if (deliverAt.getTime() < now - PAST_TOLERANCE_MS) throw fieldError('deliverAt', 'must not be in the past');
      if (deliverAt.getTime() > now + MAX_SCHEDULE_AHEAD_MS) throw fieldError('deliverAt', 'must be at most a year ahead');
    }
    const dismissAt = dto.dismissAt !== undefined ? (dto.dismissAt === null ? null : new Date(dto.dismissAt)) : message.dismissAt;
    if (dismissAt && dismissAt <= deliverAt) throw fieldError('dismissAt', 'must be after deliverAt');

    const changed = await this.em.nativeUpdate(Message, { id, status: message.status }, { deliverAt, dismissAt });
    if (!changed) throw new ConflictException('the message changed while it was being rescheduled; try again');
    await this.audit.recordBy(caller, 'message.rescheduled', 'message', id, { deliverAt, dismissAt });
    await this.signal(message.workflowId, (handle) =>
      handle.signal(rescheduleSignal, {
        ...(dto.deliverAt !== undefined ? { deliverAt: deliverAt.toISOString() } : {}),
        ...(dto.dismissAt !== undefined ? { dismissAt: dismissAt?.toISOString() ?? null } : {}),
      }),
    );
    return this.get(caller, id);
  }

  // ——— the recipient's message center ———

  async inbox(caller: AuthUser, query: PageQuery) {
    const where: ObjectQuery<Message> = { ...this.inMessageCenterOf(caller) };
    const after = decodeCursor(query.cursor);
    if (after) where.$or = [{ deliveredAt: { $lt: after.at } }, { deliveredAt: after.at, id: { $lt: after.id } }];
    const messages = await this.em.find(Message, where, { orderBy: { deliveredAt: 'desc', id: 'desc' }, limit: query.limit + 1 });
    return this.page(messages, query.limit, (m) => m.deliveredAt!, toInboxItem);
  }

  async unreadCount(caller: AuthUser) {
    return { count: await this.em.count(Message, { ...this.inMessageCenterOf(caller), readAt: null }) };
  }

  async markRead(caller: AuthUser, id: string) {
    const message = await this.em.findOne(Message, { id, ...this.inMessageCenterOf(caller) });
    if (!message) throw new NotFoundException('message not found');
    if (message.readAt === null) {
      const readAt = new Date();
      const changed = await this.em.nativeUpdate(Message, { id, readAt: null }, { readAt });
      if (changed) {
        message.readAt = readAt;
        await this.audit.recordBy(caller, 'message.read', 'message', id);
        await this.signal(message.workflowId, (handle) => handle.signal(readSignal, { readAt: readAt.toISOString() }));
      } else {
        await this.em.refresh(message);
      }
    }
    return toInboxItem(message);
  }

  async removeFromInbox(caller: AuthUser, id: string): Promise<void> {
    const message = await this.em.findOne(Message, { id, ...this.inMessageCenterOf(caller) }, { fields: ['workflowId'] });
    if (!message) throw new NotFoundException('message not found');
    const changed = await this.em.nativeUpdate(Message, { id, status: 'delivered' }, { status: 'dismissed', dismissedAt: new Date() });
    if (!changed) return;
    await this.audit.recordBy(caller, 'message.removed_by_recipient', 'message', id);
    await this.signal(message.workflowId, (handle) => handle.signal(removedByRecipientSignal));
  }

  // ——— helpers ———

  /** Another organisation's message, or a member asking for someone else's, is simply not found. */
  private async findVisible(caller: AuthUser, id: string): Promise<Message> {
    const where: ObjectQuery<Message> = { id, organization: caller.organizationId };
    if (caller.role === 'member') where.recipient = caller.id;
    const message = await this.em.findOne(Message, where, { populate: ['deliveries'] });
    if (!message) throw new NotFoundException('message not found');
    return message;
  }

  private inMessageCenterOf(caller: AuthUser): ObjectQuery<Message> {
    return {
      organization: caller.organizationId,
      recipient: caller.id,
      status: 'delivered',
      deliveries: { channel: 'message_center', status: 'sent' },
    };
  }

  private async findByIdempotencyKey(caller: AuthUser, idempotencyKey: string, requestHash: string) {
    const earlier = await this.em.findOne(Message, { createdBy: caller.id, idempotencyKey }, { fields: ['id', 'status', 'deliverAt', 'dismissAt', 'workflowId', 'requestHash'] });
    if (!earlier) return null;
    if (earlier.requestHash !== requestHash) {
      throw fieldError('Idempotency-Key', 'was already used for a different request', 422);
    }
    return toScheduledView(earlier as Message);
  }

  private async startWorkflow(message: Message, organizationId: string): Promise<void> {
    try {
      await this.temporal.workflow.start(scheduledMessage, {
        taskQueue: this.temporal.workflowTaskQueue,
        workflowId: message.workflowId,
        args: [{ messageId: message.id, deliverAt: message.deliverAt.toISOString(), dismissAt: message.dismissAt?.toISOString() ?? null }],
        typedSearchAttributes: messageSearchAttributes({ organizationId, recipientId: message.recipient.id, messageId: message.id }),
      });
    } catch (error) {
      this.logger.error(`could not start the workflow for message ${message.id}: ${(error as Error).message}`);
      throw new ServiceUnavailableException('scheduling is unavailable right now; nothing was saved, try again');
    }
  }

  /** Tells the message's workflow; after the workflow has ended there is no one to tell, which is fine. */
  private async signal(workflowId: string, send: (handle: ReturnType<TemporalClient['workflow']['getHandle']>) => Promise<void>) {
    try {
      await send(this.temporal.workflow.getHandle(workflowId));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return;
      // The database already holds the change and the workflow re-checks it before acting.
      this.logger.warn(`could not signal workflow ${workflowId}: ${(error as Error).message}`);
    }
  }

  private page<T, V>(rows: T[], limit: number, sortKey: (row: T) => Date, view: (row: T) => V): Page<V> {
    const more = rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    const last = items[items.length - 1] as (T & { id: string }) | undefined;
    return { items: items.map(view), nextCursor: more && last ? encodeCursor(sortKey(last), last.id) : null };
  }
}
