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

/**
 * Stores a scheduled message with its audit event and its workflow's outbox entry, if the recipient is a
 * user of the organisation; false if not, and then nothing is written.
 *
 * One statement is one round trip and atomic without a transaction around it. Scheduling is the API's
 * hottest write (a campaign's worth of POSTs), and the six statements of the ORM's unit of work cost it
 * half its throughput on a small machine.
 */
export async function storeScheduledMessage(em: EntityManager, message: NewScheduledMessage): Promise<boolean> {
  const start: OutboxCommand = { kind: 'start', ...scheduledMessageWorkflowStart({ ...message }) };
  // Audit details are ids, channels and times only: never the title or body.
  const auditDetails = { recipientId: message.recipientId, channels: message.channels, deliverAt: message.deliverAt, dismissAt: message.dismissAt };
  const rows = await em.execute<Array<{ id: string }>>(
    `with recipient as (
       select id from app_user where id = ? and organization_id = ?
     ), stored as (
       insert into message (id, organization_id, recipient_id, created_by_id, title, body, channels, status, deliver_at, dismiss_at,
                            workflow_id, idempotency_key, request_hash, created_at)
       select ?, ?, recipient.id, ?, ?, ?, ?::text[], 'scheduled', ?, ?, ?, ?, ?, ? from recipient
       returning id
     ), audited as (
       insert into audit_event (id, organization_id, actor_id, action, subject_type, subject_id, details, created_at)
       select ?, ?, ?, 'message.scheduled', 'message', stored.id, ?::jsonb, ? from stored
     )
     insert into workflow_outbox (workflow_id, command) select ?, ?::jsonb from stored returning workflow_id as id`,
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
  return rows.length === 1;
}
