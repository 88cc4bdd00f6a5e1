import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel } from '../channels/channel.js';
import type { OutboxCommand } from '../outbox/workflow-outbox.js';
import { scheduledMessageWorkflowStart } from './scheduled-message-workflow.js';

export interface NewScheduledMessage {
  id: string;
  organizationId: string;
  recipientId: string;
  createdById: string;
  /** The text as the recipient will see it: a template is rendered before (messages.service.ts). */
  title: string;
  body: string;
  channels: Channel[];
  deliverAt: Date;
  dismissAt: Date | null;
  workflowId: string;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdAt: Date;
}

/** What storing found: `stored`, or why nothing was written (the recipient is no user of the organisation, or deactivated). */
export type StoreOutcome = 'stored' | 'unknown_recipient' | 'deactivated_recipient';

/**
 * Stores a scheduled message with its audit event and its workflow's outbox entry, if the recipient is an
 * active user of the organisation; otherwise nothing is written, and the outcome says why.
 *
 * One statement is one round trip and atomic without a transaction around it. Scheduling is the API's
 * hottest write (a campaign's worth of POSTs), and the six statements of the ORM's unit of work cost it
 * half its throughput on a small machine.
 */
export async function storeScheduledMessage(em: EntityManager, message: NewScheduledMessage): Promise<StoreOutcome> {
  const start: OutboxCommand = { kind: 'start', ...scheduledMessageWorkflowStart({ ...message }) };
  // Audit details are ids, channels and times only: never the title or body.
  const auditDetails = { recipientId: message.recipientId, channels: message.channels, deliverAt: message.deliverAt, dismissAt: message.dismissAt };
  const [row] = await em.execute<Array<{ stored: boolean; recipient_status: string | null }>>(
    `with recipient as (
       select id, status from app_user where id = ? and organization_id = ?
     ), stored as (
       insert into message (id, organization_id, recipient_id, created_by_id, title, body, channels, status, deliver_at, dismiss_at,
                            workflow_id, idempotency_key, request_hash, created_at)
       select ?, ?, recipient.id, ?, ?, ?, ?::text[], 'scheduled', ?, ?, ?, ?, ?, ? from recipient where recipient.status = 'active'
       returning id
     ), audited as (
       insert into audit_event (id, organization_id, actor_id, action, subject_type, subject_id, details, created_at)
       select ?, ?, ?, 'message.scheduled', 'message', stored.id, ?::jsonb, ? from stored
     ), outboxed as (
       insert into workflow_outbox (workflow_id, command) select ?, ?::jsonb from stored returning workflow_id
     )
     select exists (select 1 from outboxed) as stored, (select status from recipient) as recipient_status`,
    [
      message.recipientId,
      message.organizationId,
      message.id,
      message.organizationId,
      message.createdById,
      message.title,
      message.body,
      // A Postgres array literal: the channels are validated names, none with a comma, brace or quote.
      `{${message.channels.join(',')}}`,
      message.deliverAt,
      message.dismissAt,
      message.workflowId,
      message.idempotencyKey,
      message.requestHash,
      message.createdAt,
      crypto.randomUUID(),
      message.organizationId,
      message.createdById,
      JSON.stringify(auditDetails),
      message.createdAt,
      start.workflowId,
      JSON.stringify(start),
    ],
  );
  if (row.stored) return 'stored';
  return row.recipient_status === null ? 'unknown_recipient' : 'deactivated_recipient';
}
