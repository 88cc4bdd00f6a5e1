import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { workflowIdForConversationMessage } from '../../workflows/conversation-message.contract.js';
import type { ReconcileSummary } from '../../workflows/reconcile.contract.js';
import { readSignal, rescheduleSignal, type Channel, type RescheduleSignalInput } from '../../workflows/scheduled-message.contract.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { conversationMessageWorkflowStart } from '../conversations/conversation-message-workflow.js';
import { MessageDeliveryService } from '../messages/message-delivery.service.js';
import { WorkflowOutbox, type OutboxCommand } from '../outbox/workflow-outbox.js';
import { workflowIdForChatRequest } from '../../workflows/chat-request.contract.js';
import { chatRequestWorkflowStart } from '../chat-requests/chat-request-workflow.js';
import { awayPeriodNotices } from '../away-periods/away-period-notices.js';
import { scheduledMessageWorkflowStart } from '../messages/scheduled-message-workflow.js';
import { WorkflowGateway, type WorkflowStart } from '../temporal/workflow-gateway.js';

/** Each scan looks at this many rows at most, newest first: what was missed just now is what matters; the next run takes the rest. */
const SCAN_LIMIT = 500;
/** Workflow ids per visibility query, to keep each query a modest size on any visibility store. */
const VISIBILITY_BATCH = 100;
/**
 * Reads and conversation messages are looked at for this long after they happen (or three intervals, if
 * longer): by then an earlier run has repaired them, and the scans stay small.
 */
const MIN_LOOKBACK_SECONDS = 600;

/** Rows whose workflow already has an outbox entry waiting are the relay's business, not a repair. */
const NO_PENDING_OUTBOX = `not exists (select 1 from workflow_outbox o where o.workflow_id = m.workflow_id)`;

/** A workflow as visibility shows it; absent from the map when Temporal has no such workflow. */
type WorkflowState = 'running' | 'closed';

interface ScheduledMessageRow {
  id: string;
  workflow_id: string;
  organization_id: string;
  recipient_id: string;
  channels: Channel[];
  deliver_at: Date | string;
  dismiss_at: Date | string | null;
}

/**
 * Finds what is out of step between the database (the truth) and the workflows, after a lost signal, a
 * dropped outbox entry or a crash, and enqueues the repair into the outbox, so the relay makes the
 * Temporal calls as it does for the API. Every repair is safe to repeat: a workflow told twice does the
 * same thing once. Run by the `reconcile` workflow on the `tidings-reconciler` schedule.
 */
@Injectable()
export class ReconcilerService {
  private readonly logger = new Logger(ReconcilerService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly gateway: WorkflowGateway,
    private readonly deliveries: MessageDeliveryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async reconcile(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = {
      overdueDeliveries: 0,
      overdueDismissals: 0,
      dismissalsRecorded: 0,
      unheardReads: 0,
      unstartedConversationMessages: 0,
      unstartedChatRequests: 0,
      unrepairable: 0,
    };
    await this.repairOverdueDeliveries(summary);
    await this.repairOverdueDismissals(summary);
    await this.repairUnheardReads(summary);
    await this.repairUnstartedConversationMessages(summary);
    await this.repairUnstartedChatRequests(summary);
    if (Object.values(summary).some((count) => count > 0)) this.logger.log(`reconciled: ${JSON.stringify(summary)}`);
    return summary;
  }

  /**
   * A scheduled message past its delivery time: its workflow sleeps until the wrong time (a reschedule
   * was lost) or is missing (its start was lost). The reschedule wakes the one or starts the other,
   * which then claims the message at once.
   */
  private async repairOverdueDeliveries(summary: ReconcileSummary): Promise<void> {
    const rows = await this.em.execute<ScheduledMessageRow[]>(
      `select m.id, m.workflow_id, m.organization_id, m.recipient_id, m.deliver_at, m.dismiss_at, m.channels from message m
        where m.status = 'scheduled' and m.deliver_at < now() - make_interval(secs => ?) and ${NO_PENDING_OUTBOX}
        order by m.deliver_at desc limit ?`,
      [this.config.reconciler.graceSeconds, SCAN_LIMIT],
    );
    if (rows.length === 0) return;
    const states = await this.workflowStates(rows.map((row) => row.workflow_id));
    // A closed workflow is never started again under its id, so such a message needs an operator.
    const ended = rows.filter((row) => states.get(row.workflow_id) === 'closed');
    if (ended.length > 0) {
      this.logger.warn(
        `${ended.length} past-due message(s) whose workflow ended without delivering them, e.g. ${ended
          .slice(0, 5)
          .map((row) => row.id)
          .join(', ')}`,
      );
    }
    const repairs = rows
      .filter((row) => states.get(row.workflow_id) !== 'closed')
      .map((row) => wake(scheduledMessageStart(row), { deliverAt: iso(row.deliver_at) }));
    await WorkflowOutbox.enqueue(this.em, ...repairs);
    summary.overdueDeliveries += repairs.length;
    summary.unrepairable += ended.length;
  }

  /**
   * A message-center message past its dismiss time whose deliveries are settled (while a provider still
   * retries, the workflow is busy, not lost). A running workflow is woken with its dismiss time; one that
   * has ended (it ended on a read before a dismiss time was set) or is gone leaves the dismissal to nobody,
   * so it is recorded here as the workflow would have. No workflow is started for a delivered message:
   * it would send again what failed before.
   */
  private async repairOverdueDismissals(summary: ReconcileSummary): Promise<void> {
    const rows = await this.em.execute<Array<{ id: string; workflow_id: string; dismiss_at: Date | string }>>(
      `select m.id, m.workflow_id, m.dismiss_at from message m
        where m.status = 'delivered' and m.dismiss_at < now() - make_interval(secs => ?)
          and 'message_center' = any(m.channels)
          and not exists (select 1 from delivery d where d.subject_type = 'message' and d.subject_id = m.id and d.status in ('pending', 'sending'))
          and ${NO_PENDING_OUTBOX}
        order by m.dismiss_at desc limit ?`,
      [this.config.reconciler.graceSeconds, SCAN_LIMIT],
    );
    if (rows.length === 0) return;
    const states = await this.workflowStates(rows.map((row) => row.workflow_id));
    const running = rows.filter((row) => states.get(row.workflow_id) === 'running');
    const change = (row: (typeof rows)[number]): RescheduleSignalInput => ({ dismissAt: iso(row.dismiss_at) });
    await WorkflowOutbox.enqueue(this.em, ...running.map((row) => signal(row.workflow_id, rescheduleSignal.name, change(row))));
    summary.overdueDismissals += running.length;
    for (const row of rows.filter((row) => states.get(row.workflow_id) !== 'running')) {
      if ((await this.deliveries.dismiss(row.id)).outcome === 'dismissed') summary.dismissalsRecorded++;
    }
  }

  /**
   * A read, with no dismiss time, that the message's workflow has not acted on: had it heard, it would
   * have ended. Only recent reads are looked at; older ones were repaired by earlier runs.
   */
  private async repairUnheardReads(summary: ReconcileSummary): Promise<void> {
    const rows = await this.em.execute<Array<{ workflow_id: string; read_at: Date | string }>>(
      `select m.workflow_id, m.read_at from message m
        where m.status = 'delivered' and m.dismiss_at is null and m.read_at is not null and m.campaign_id is null
          and m.read_at > now() - make_interval(secs => ?) and m.read_at < now() - make_interval(secs => ?)
          and ${NO_PENDING_OUTBOX}
        order by m.read_at desc limit ?`,
      [this.lookbackSeconds(), this.config.reconciler.graceSeconds, SCAN_LIMIT],
    );
    if (rows.length === 0) return;
    const states = await this.workflowStates(rows.map((row) => row.workflow_id));
    const unheard = rows.filter((row) => states.get(row.workflow_id) === 'running');
    await WorkflowOutbox.enqueue(this.em, ...unheard.map((row) => signal(row.workflow_id, readSignal.name, { readAt: iso(row.read_at) })));
    summary.unheardReads += unheard.length;
  }

  /** A recent conversation message with no workflow at all, in any state: its start was lost. */
  private async repairUnstartedConversationMessages(summary: ReconcileSummary): Promise<void> {
    const rows = await this.em.execute<Array<{ id: string; conversation_id: string; organization_id: string }>>(
      `select m.id, m.conversation_id, c.organization_id from conversation_message m join conversation c on c.id = m.conversation_id
        where m.created_at > now() - make_interval(secs => ?) and m.created_at < now() - make_interval(secs => ?)
          and not exists (select 1 from workflow_outbox o where o.workflow_id = ? || m.id::text)
        order by m.created_at desc limit ?`,
      [this.lookbackSeconds(), this.config.reconciler.graceSeconds, workflowIdForConversationMessage(''), SCAN_LIMIT],
    );
    if (rows.length === 0) return;
    const starts = rows.map((row) =>
      conversationMessageWorkflowStart({ organizationId: row.organization_id, conversationId: row.conversation_id, messageId: row.id }),
    );
    const states = await this.workflowStates(starts.map((start) => start.workflowId));
    const missing = starts.filter((start) => !states.has(start.workflowId));
    await WorkflowOutbox.enqueue(this.em, ...missing.map((start): OutboxCommand => ({ kind: 'start', ...start })));
    summary.unstartedConversationMessages += missing.length;
  }

  /**
   * An open chat request its workflow never recorded (the mirror is still at version 0), with no workflow
   * at all: its start was lost. Started again with the owner's away periods as they are now.
   */
  private async repairUnstartedChatRequests(summary: ReconcileSummary): Promise<void> {
    const rows = await this.em.execute<
      Array<{
        id: string;
        organization_id: string;
        member_id: string;
        program_id: string;
        owner_id: string;
        assignee_id: string;
        chat_id: string;
        due_at: Date;
        escalate_at: Date;
      }>
    >(
      `select r.id, r.organization_id, r.member_id, r.program_id, r.owner_id, r.assignee_id, r.chat_id, r.due_at, r.escalate_at from chat_request r
        where r.status = 'open' and r.mirror_version = 0 and r.created_at < now() - make_interval(secs => ?)
          and not exists (select 1 from workflow_outbox o where o.workflow_id = ? || r.id::text)
        order by r.created_at limit ?`,
      [this.config.reconciler.graceSeconds, workflowIdForChatRequest(''), SCAN_LIMIT],
    );
    if (rows.length === 0) return;
    const states = await this.workflowStates(rows.map((row) => workflowIdForChatRequest(row.id)));
    const missing = rows.filter((row) => !states.has(workflowIdForChatRequest(row.id)));
    const starts: OutboxCommand[] = [];
    for (const row of missing) {
      const start = chatRequestWorkflowStart({
        id: row.id,
        organizationId: row.organization_id,
        memberId: row.member_id,
        programId: row.program_id,
        ownerId: row.owner_id,
        assigneeId: row.assignee_id,
        chatId: row.chat_id,
        ownerAwayPeriods: await awayPeriodNotices(this.em, row.owner_id),
        dueAt: new Date(row.due_at),
        escalateAt: new Date(row.escalate_at),
      });
      starts.push({ kind: 'start', ...start });
    }
    await WorkflowOutbox.enqueue(this.em, ...starts);
    summary.unstartedChatRequests += missing.length;
  }

  /** What Temporal's visibility knows of these workflows, asked in a few bulk queries rather than one call each. */
  private async workflowStates(workflowIds: string[]): Promise<Map<string, WorkflowState>> {
    const states = new Map<string, WorkflowState>();
    for (let i = 0; i < workflowIds.length; i += VISIBILITY_BATCH) {
      const batch = workflowIds.slice(i, i + VISIBILITY_BATCH);
      const query = `WorkflowId IN (${batch.map((id) => JSON.stringify(id)).join(', ')})`;
      for await (const execution of this.gateway.client.workflow.list({ query })) {
        // Ids are never reused (REJECT_DUPLICATE), but should an id have several runs, a running one counts.
        if (states.get(execution.workflowId) !== 'running') states.set(execution.workflowId, execution.status.name === 'RUNNING' ? 'running' : 'closed');
      }
    }
    return states;
  }

  private lookbackSeconds(): number {
    return Math.max(MIN_LOOKBACK_SECONDS, 3 * this.config.reconciler.intervalSeconds);
  }
}

/** The scheduled message's workflow as the API starts it, from the row. */
function scheduledMessageStart(row: ScheduledMessageRow): WorkflowStart {
  return scheduledMessageWorkflowStart({
    id: row.id,
    organizationId: row.organization_id,
    recipientId: row.recipient_id,
    deliverAt: new Date(row.deliver_at),
    dismissAt: row.dismiss_at === null ? null : new Date(row.dismiss_at),
    channels: row.channels,
  });
}

/** Wakes the workflow with a reschedule, or starts it with one if it is missing. */
function wake(start: WorkflowStart, change: RescheduleSignalInput): OutboxCommand {
  return { kind: 'signalWithStart', ...start, signal: rescheduleSignal.name, signalArgs: [change] };
}

function signal(workflowId: string, name: string, ...args: unknown[]): OutboxCommand {
  return { kind: 'signal', workflowId, signal: name, args };
}

const iso = (value: Date | string) => new Date(value).toISOString();
