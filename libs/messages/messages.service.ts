import { EntityManager, ObjectQuery, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { cancelSignal, rescheduleSignal, workflowIdForMessage, type RescheduleSignalInput } from '../../workflows/scheduled-message.contract.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { decodeCursor, encodeCursor, Page } from '../http/pagination.js';
import { WorkflowOutbox } from '../outbox/workflow-outbox.js';
import { ListMessagesQuery } from './dto/list-messages.query.js';
import { MAX_BODY_BYTES, MAX_TITLE_LENGTH, RescheduleMessageDto, ScheduleMessageDto } from './dto/schedule-message.dto.js';
import { deliveriesOf } from '../delivery/delivery-timeline.js';
import { checkRecipientTemplate, compileRecipientTemplate, hasTemplateVariables, templateVariablesFor } from '../templates/recipient-template.js';
import { Message, type MessageStatus } from './message.entity.js';
import { effectiveStatus, toMessageView, toRecipientMessageView, toScheduledView } from './message.views.js';
import { storeScheduledMessage, type StoreOutcome } from './store-scheduled-message.js';
import { deliveryWindow, idempotentRequest, MAX_SCHEDULE_AHEAD_MS, PAST_TOLERANCE_MS } from './delivery-window.js';

/** What staff do with scheduled messages: schedule, list, look at, cancel, reschedule. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async schedule(caller: AuthUser, dto: ScheduleMessageDto, idempotencyKey?: string) {
    const { requestHash } = idempotentRequest(idempotencyKey, dto);
    if (idempotencyKey !== undefined) {
      const earlier = await this.findByIdempotencyKey(caller, idempotencyKey, requestHash);
      if (earlier) return earlier;
    }
    if (Buffer.byteLength(dto.body, 'utf8') > MAX_BODY_BYTES) throw fieldError('body', `must be at most ${MAX_BODY_BYTES} bytes`, 413);
    checkRecipientTemplate(dto.title, 'title');
    checkRecipientTemplate(dto.body, 'body');
    const now = Date.now();
    const { deliverAt, dismissAt } = deliveryWindow(dto, now);
    // Plain text (nearly every message) is stored as sent, by the one statement below; only a template costs
    // the look-up of the names it needs.
    const { title, body } =
      hasTemplateVariables(dto.title) || hasTemplateVariables(dto.body) ? await this.renderFor(caller, dto) : { title: dto.title, body: dto.body };
    const message = {
      id: crypto.randomUUID(),
      organizationId: caller.organizationId,
      recipientId: dto.recipientId,
      createdById: caller.id,
      title,
      body,
      channels: dto.channels,
      deliverAt,
      dismissAt,
      workflowId: '',
      idempotencyKey: idempotencyKey ?? null,
      requestHash: idempotencyKey ? requestHash : null,
      createdAt: new Date(now),
    };
    message.workflowId = workflowIdForMessage(message.id);
    let stored: StoreOutcome;
    try {
      // The message, its audit event and its workflow's start commit together; the outbox relay starts the
      // workflow after the commit, so scheduling works while Temporal is down and no connection waits on Temporal.
      stored = await storeScheduledMessage(this.em, message);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && idempotencyKey) {
        // A concurrent retry with the same key won the race; answer as it did.
        const earlier = await this.findByIdempotencyKey(caller, idempotencyKey, requestHash);
        if (earlier) return earlier;
      }
      throw error;
    }
    if (stored === 'unknown_recipient') throw notAUserOfTheOrganization();
    if (stored === 'deactivated_recipient') throw deactivatedRecipient();
    return toScheduledView({ ...message, status: 'scheduled', removedAt: null });
  }

  async list(caller: AuthUser, query: ListMessagesQuery): Promise<Page<ReturnType<typeof toMessageView>>> {
    const where: ObjectQuery<Message> = { organization: caller.organizationId };
    if (query.recipientId) where.recipient = query.recipientId;
    if (query.status) where.$and = [withEffectiveStatus(query.status, new Date())];
    const after = decodeCursor(query.cursor);
    if (after) (where.$and ??= []).push({ $or: [{ createdAt: { $lt: after.at } }, { createdAt: after.at, id: { $lt: after.id } }] });
    const messages = await this.em.find(Message, where, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: query.limit + 1,
      // The User Messages dashboard names each recipient.
      populate: ['recipient'],
    });
    const deliveries = await deliveriesOf(
      this.em,
      'message',
      messages.slice(0, query.limit).map((m) => m.id),
    );
    return this.page(
      messages,
      query.limit,
      (m) => m.createdAt,
      (m) => toMessageView(m, deliveries.get(m.id)),
    );
  }

  /** Staff see every delivery's attempts and errors; a member, the recipient, only each channel's status. */
  async get(caller: AuthUser, id: string) {
    const message = await this.findVisible(caller, id);
    const deliveries = (await deliveriesOf(this.em, 'message', [id])).get(id);
    return caller.role === 'member' ? toRecipientMessageView(message, deliveries) : toMessageView(message, deliveries);
  }

  /** Decided by the database: before deliverAt the cancel wins, after it the message is already delivered (409). */
  async cancel(caller: AuthUser, id: string) {
    const message = await this.findVisible(caller, id);
    const cancelled = await this.em.transactional(async (em) => {
      const [row] = await em.execute<Array<{ id: string }>>(
        `update message set status = 'cancelled', cancelled_at = now() where id = ? and status = 'scheduled' and deliver_at > now() returning id`,
        [id],
      );
      if (!row) return false;
      await this.audit.recordBy(caller, 'message.cancelled', 'message', id);
      await WorkflowOutbox.signal(em, message.workflowId, cancelSignal.name);
      return true;
    });
    if (!cancelled) throw new ConflictException(`the message is already ${await this.currentStatus(message)} and can no longer be cancelled`);
    return this.get(caller, id);
  }

  async reschedule(caller: AuthUser, id: string, dto: RescheduleMessageDto) {
    const message = await this.findVisible(caller, id);
    if (message.campaignId) throw new ConflictException(`the message is part of campaign ${message.campaignId}; change the campaign's times instead`);
    if (dto.deliverAt === undefined && dto.dismissAt === undefined) throw fieldError('body', 'give deliverAt, dismissAt or both');
    const now = Date.now();
    const deliverAt = dto.deliverAt !== undefined ? new Date(dto.deliverAt) : message.deliverAt;
    if (dto.deliverAt !== undefined) {
      if (deliverAt.getTime() < now - PAST_TOLERANCE_MS) throw fieldError('deliverAt', 'must not be in the past');
      if (deliverAt.getTime() > now + MAX_SCHEDULE_AHEAD_MS) throw fieldError('deliverAt', 'must be at most a year ahead');
    }
    const dismissAt = dto.dismissAt !== undefined ? (dto.dismissAt === null ? null : new Date(dto.dismissAt)) : message.dismissAt;
    if (dismissAt && dismissAt <= deliverAt) throw fieldError('dismissAt', 'must be after deliverAt');

    // The database decides the race with delivery and dismissal: the delivery time moves only while it is
    // still ahead; the dismiss time only while the message has not left the message center.
    const rescheduled = await this.em.transactional(async (em) => {
      const [row] = await em.execute<Array<{ id: string }>>(
        dto.deliverAt !== undefined
          ? `update message set deliver_at = ?, dismiss_at = ? where id = ? and status = 'scheduled' and deliver_at > now() returning id`
          : `update message set dismiss_at = ? where id = ? and deliver_at = ? and status in ('scheduled', 'delivered') and removed_at is null
               and (dismiss_at is null or dismiss_at > now()) returning id`,
        dto.deliverAt !== undefined ? [deliverAt, dismissAt, id] : [dismissAt, id, message.deliverAt],
      );
      if (!row) return false;
      await this.audit.recordBy(caller, 'message.rescheduled', 'message', id, { deliverAt, dismissAt });
      const change: RescheduleSignalInput = {
        ...(dto.deliverAt !== undefined ? { deliverAt: deliverAt.toISOString() } : {}),
        ...(dto.dismissAt !== undefined ? { dismissAt: dismissAt?.toISOString() ?? null } : {}),
      };
      await WorkflowOutbox.signal(em, message.workflowId, rescheduleSignal.name, change);
      return true;
    });
    if (!rescheduled) {
      const status = await this.currentStatus(message);
      throw new ConflictException(
        dto.deliverAt !== undefined
          ? `the message is already ${status}; its delivery time can no longer change`
          : `the message is ${status === 'delivered' ? 'no longer in the message center' : status}; its schedule can no longer change`,
      );
    }
    return this.get(caller, id);
  }

  // ——— helpers ———

  /**
   * The title and body rendered for the message's recipient, as of now: the message keeps the text its
   * recipient was sent even if their name or the organisation's changes later. The recipient must be an
   * active user of the caller's organisation (the same 422s as the store's check).
   */
  private async renderFor(caller: AuthUser, dto: ScheduleMessageDto): Promise<{ title: string; body: string }> {
    const [names] = await this.em.execute<Array<{ recipient_name: string; recipient_status: string; organization_name: string }>>(
      `select app_user.name as recipient_name, app_user.status as recipient_status, organization.name as organization_name
         from app_user join organization on organization.id = app_user.organization_id
        where app_user.id = ? and app_user.organization_id = ?`,
      [dto.recipientId, caller.organizationId],
    );
    if (!names) throw notAUserOfTheOrganization();
    if (names.recipient_status !== 'active') throw deactivatedRecipient();
    const vars = templateVariablesFor(names.recipient_name, names.organization_name);
    const title = compileRecipientTemplate(dto.title)(vars);
    const body = compileRecipientTemplate(dto.body)(vars);
    // The limits hold for the text as stored, not only for the template as sent.
    if (Array.from(title).length > MAX_TITLE_LENGTH) {
      throw fieldError('title', `must be at most ${MAX_TITLE_LENGTH} characters once rendered for this recipient`, 422);
    }
    if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
      throw fieldError('body', `must be at most ${MAX_BODY_BYTES} bytes once rendered for this recipient`, 413);
    }
    return { title, body };
  }

  /** Another organisation's message, or a member asking for someone else's, is simply not found. */
  private async findVisible(caller: AuthUser, id: string): Promise<Message> {
    const where: ObjectQuery<Message> = { id, organization: caller.organizationId };
    if (caller.role === 'member') where.recipient = caller.id;
    const message = await this.em.findOne(Message, where);
    if (!message) throw new NotFoundException('message not found');
    return message;
  }

  /** The status as the caller would now see it, for a 409 that says why. */
  private async currentStatus(message: Message): Promise<string> {
    await this.em.refresh(message);
    return effectiveStatus(message);
  }

  private async findByIdempotencyKey(caller: AuthUser, idempotencyKey: string, requestHash: string) {
    const earlier = await this.em.findOne(
      Message,
      { createdBy: caller.id, idempotencyKey },
      { fields: ['id', 'status', 'deliverAt', 'dismissAt', 'removedAt', 'workflowId', 'requestHash'] },
    );
    if (!earlier) return null;
    if (earlier.requestHash !== requestHash) {
      throw fieldError('Idempotency-Key', 'was already used for a different request', 422);
    }
    return toScheduledView(earlier);
  }

  private page<T, V>(rows: T[], limit: number, sortKey: (row: T) => Date, view: (row: T) => V): Page<V> {
    const more = rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    const last = items[items.length - 1] as (T & { id: string }) | undefined;
    return { items: items.map(view), nextCursor: more && last ? encodeCursor(sortKey(last), last.id) : null };
  }
}

function notAUserOfTheOrganization() {
  return fieldError('recipientId', 'is not a user of your organization', 422);
}

function deactivatedRecipient() {
  return fieldError('recipientId', 'is a deactivated user; nothing new can be sent to them', 422);
}

/** The messages whose effective status (message.views.ts) is `status` at `now`, whatever their workflows have recorded yet. */
function withEffectiveStatus(status: MessageStatus, now: Date): ObjectQuery<Message> {
  const live = { status: { $in: ['scheduled', 'delivered'] } } as const;
  switch (status) {
    case 'scheduled':
      return { status: 'scheduled', deliverAt: { $gt: now } };
    case 'delivered':
      return { ...live, removedAt: null, deliverAt: { $lte: now }, $or: [{ dismissAt: null }, { dismissAt: { $gt: now } }] };
    case 'dismissed':
      return { $or: [{ status: 'dismissed' }, { ...live, removedAt: { $ne: null } }, { ...live, dismissAt: { $lte: now } }] };
    default:
      return { status };
  }
}
