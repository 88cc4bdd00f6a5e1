import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DateTime } from 'luxon';
import type { RecordedTaskChange, TaskChange } from '../../workflows/chat-request.contract.js';
import { NotificationRenderer } from '../channels/notification-renderer.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Deliverer, type DeliveryContent, type RenderedDelivery } from '../delivery/deliverer.js';
import { DeliveryLedger } from '../delivery/delivery-ledger.js';
import type { Delivery } from '../delivery/delivery.entity.js';
import type { NotificationMode } from '../organizations/organization.entity.js';
import { ensureChat, postSystemMessage } from './chats.js';

/** What a task's notifications are about, as the ledger's `kind`. */
export const TASK_NOTIFICATION_KINDS = ['task_assigned', 'task_breached', 'task_escalated'] as const;
export type TaskNotificationKind = (typeof TASK_NOTIFICATION_KINDS)[number];

/** Staff hear about their queue by email and push; a text message per task would be noise. */
const TASK_CHANNELS = ['email', 'push'] as const;

interface RequestRow {
  organization_id: string;
  member_id: string;
  program_id: string;
  program_name: string;
  chat_id: string;
  settings: { supervisorTeamId: string | null; businessHours: { timezone: string } | null };
}

/**
 * The worker's side of a chat request's workflow: each change the workflow decides is mirrored into
 * chat_request (for the queue queries), recorded as an event (the task's history in PostgreSQL), and
 * followed by what it means for people: the chat moving with the assignee, the member told who covers,
 * and the assignee or supervisors notified through the delivery ledger. Every step is safe to repeat.
 */
@Injectable()
export class TaskChanges implements DeliveryContent, OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly ledger: DeliveryLedger,
    private readonly deliverer: Deliverer,
    private readonly renderer: NotificationRenderer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.deliverer.register('chat_request_event', this);
  }

  async record(change: TaskChange): Promise<RecordedTaskChange> {
    const { state, details } = change;
    const recorded = await this.em.transactional(async (em) => {
      // The chat before the request, the order a message posted in the chat takes them (numbering the message locks
      // its conversation, then the care manager's first reply stamps the request): the other order could deadlock.
      await em.execute(`select c.id from conversation c join chat_request r on r.chat_id = c.id where r.id = ? for update of c`, [change.chatRequestId]);
      const [request] = await em.execute<RequestRow[]>(
        `select r.organization_id, r.member_id, r.program_id, p.name as program_name, r.chat_id, o.chat_request_settings as settings
           from chat_request r join program p on p.id = r.program_id join organization o on o.id = r.organization_id
          where r.id = ? for update of r`,
        [change.chatRequestId],
      );
      // The API commits the request before its workflow starts; a missing row was deleted with its member.
      if (!request) return null;
      const moves = change.kind === 'created' || change.kind === 'reassigned';
      const chatId = moves
        ? await ensureChat(em, {
            organizationId: request.organization_id,
            memberId: request.member_id,
            careManagerId: state.assigneeId,
            programId: request.program_id,
            subject: request.program_name,
          })
        : request.chat_id;
      const at = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs));
      const reason = change.kind === 'reason_changed' ? details.reason : undefined;
      await em.execute(
        `update chat_request set status = ?, owner_id = ?, assignee_id = ?, covering = ?, claimed_by_id = ?, claimed_at = ?,
                first_response_at = coalesce(first_response_at, ?), breached_at = ?, escalated_at = ?, outcome = ?, ended_at = ?, ended_by_id = ?,
                chat_id = ?, reason_id = coalesce(?, reason_id), reason_label = coalesce(?, reason_label), comment = coalesce(?, comment), mirror_version = ?
          where id = ? and mirror_version < ?`,
        [
          state.status,
          state.ownerId,
          state.assigneeId,
          state.covering,
          state.claimedById,
          at(state.claimedAt),
          at(state.firstResponseAt),
          at(state.breachedAt),
          at(state.escalatedAt),
          state.outcome,
          at(state.endedAt),
          state.endedById,
          chatId,
          reason?.id ?? null,
          reason?.label ?? null,
          change.kind === 'reason_changed' ? (details.comment ?? null) : null,
          state.version,
          change.chatRequestId,
          state.version,
        ],
      );
      const eventDetails = {
        ...details,
        assigneeId: state.assigneeId,
        ...(change.kind === 'closed' ? { outcome: state.outcome } : {}),
      };
      await em.execute(
        `insert into chat_request_event (id, chat_request_id, kind, actor_id, details, created_at) values (?, ?, ?, ?, ?::jsonb, now()) on conflict (id) do nothing`,
        [change.eventId, change.chatRequestId, change.kind, change.actorId, JSON.stringify(eventDetails)],
      );
      if (moves && state.covering && details.awayPeriod) {
        const [cover, owner] = await Promise.all([this.nameOf(em, state.assigneeId), this.nameOf(em, state.ownerId)]);
        const zone = request.settings.businessHours?.timezone ?? 'UTC';
        const until = DateTime.fromMillis(details.awayPeriod.endsAt, { zone }).toFormat('d LLL');
        // The event's id, so the message is posted once however often this runs.
        await postSystemMessage(em, { id: change.eventId, chatId, authorId: state.assigneeId, text: `${cover} is covering for ${owner} until ${until}` });
      }
      return { chatId, request };
    });
    if (!recorded) return { chatId: '', notify: [] };
    const notice = await this.whoHears(change, recorded.request);
    const notify = notice
      ? await this.ledger.plan({
          subject: { type: 'chat_request_event', id: change.eventId, organizationId: recorded.request.organization_id, dueAt: new Date() },
          kind: notice.kind,
          recipientIds: notice.userIds,
          channels: TASK_CHANNELS,
          unreachable: 'ignore',
        })
      : [];
    return { chatId: recorded.chatId, notify };
  }

  /** How a task notification reads; nothing once the task has ended or, for an assignment, moved on. */
  async render(delivery: Delivery): Promise<RenderedDelivery> {
    const [row] = await this.em.execute<
      Array<{
        chat_request_id: string;
        status: string;
        assignee_id: string;
        reason_label: string;
        comment: string;
        member_name: string;
        recipient_name: string;
        organization_name: string;
        mode: NotificationMode;
      }>
    >(
      `select r.id as chat_request_id, r.status, r.assignee_id, r.reason_label, r.comment, m.name as member_name, u.name as recipient_name,
              o.name as organization_name, o.notification_mode as mode
         from chat_request_event e join chat_request r on r.id = e.chat_request_id join app_user m on m.id = r.member_id
         join organization o on o.id = r.organization_id join app_user u on u.id = ?
        where e.id = ?`,
      [delivery.recipientId, delivery.subjectId],
    );
    if (!row) return { skip: 'the chat request no longer exists' };
    if (row.status !== 'open') return { skip: `the chat request is ${row.status}` };
    const kind = delivery.kind as TaskNotificationKind;
    if (kind === 'task_assigned' && row.assignee_id !== delivery.recipientId) return { skip: 'the task has moved to someone else' };
    const headline = { task_assigned: 'New chat request', task_breached: 'Response overdue', task_escalated: 'Escalated chat request' }[kind];
    const notification = this.renderer.render({
      purpose: 'task',
      mode: row.mode,
      channel: delivery.channel,
      organizationName: row.organization_name,
      recipientName: row.recipient_name,
      title: `${headline}: ${row.member_name}, ${row.reason_label}`,
      body: row.comment,
      url: `${this.config.appUrl}/tasks/${row.chat_request_id}`,
    });
    return { notification };
  }

  /** Who hears about a change: a new assignee (unless they took it themselves), and the supervisors of a late task. */
  private async whoHears(change: TaskChange, request: RequestRow): Promise<{ kind: TaskNotificationKind; userIds: string[] } | null> {
    const { state } = change;
    switch (change.kind) {
      case 'created':
      case 'reassigned':
        return change.actorId === state.assigneeId ? null : { kind: 'task_assigned', userIds: [state.assigneeId] };
      case 'breached':
        return { kind: 'task_breached', userIds: [...new Set([state.assigneeId, ...(await this.supervisors(request))])] };
      case 'escalated':
        return { kind: 'task_escalated', userIds: await this.supervisors(request) };
      default:
        return null;
    }
  }

  /** The organisation's admins and the members of its supervisor team. */
  private async supervisors(request: RequestRow): Promise<string[]> {
    const rows = await this.em.execute<Array<{ id: string }>>(
      `select u.id from app_user u where u.organization_id = ? and (u.role = 'admin' or u.id in (select user_id from team_member where team_id = ?))
        order by u.created_at, u.id`,
      [request.organization_id, request.settings.supervisorTeamId],
    );
    return rows.map((row) => row.id);
  }

  private async nameOf(em: EntityManager, userId: string): Promise<string> {
    const [row] = await em.execute<Array<{ name: string }>>(`select name from app_user where id = ?`, [userId]);
    return row?.name ?? 'Your care manager';
  }
}
