import { ScheduleOverlapPolicy } from '@temporalio/client';
import * as path from 'node:path';
import { WORKER_NODE_FLAGS } from '../../apps/worker/node-flags.js';
import { ensureReconcilerSchedule } from '../../libs/reconciler/reconciler-schedule.js';
import { CONVERSATION_ID } from '../../libs/temporal/search-attributes.js';
import type { ReconcileSummary } from '../../workflows/reconcile.contract.js';
import type { ScheduledMessageState } from '../../workflows/scheduled-message.contract.js';
import { Api, createOrganization, eventually, secondsFromNow, TestOrganization } from '../support/api.js';
import { startConversation } from '../support/conversations.js';
import { recordHistory } from '../support/histories.js';
import { REPO_ROOT } from '../support/paths.js';
import { Platform } from '../support/platform.js';
import { ManagedProcess, waitFor } from '../support/processes.js';
import { SendgridFake } from '../fakes/sendgrid-fake.js';

const SENDGRID_KEY = 'SG.test-key';
const SCHEDULE_ID = 'tidings-reconciler';
/** Long enough for a worker restart plus a few reconciler runs on a busy machine; far short of the hour a lost signal would cost. */
const REPAIR_TIMEOUT_MS = 40_000;

/**
 * The reconciler end to end: signals and starts are dropped on purpose (the outbox row carrying them is
 * deleted while the worker, and with it the relay, is stopped), and the reconciler's schedule, running
 * every 5 s here, must notice from the database and repair them through the outbox.
 */
describe('reconciler (end to end)', () => {
  const sendgrid = new SendgridFake(SENDGRID_KEY);
  let platform: Platform;
  let org: TestOrganization;
  let staff: Api;
  let member: { id: string; email: string; api: Api };
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    const sendgridUrl = await sendgrid.start();
    workerEnv = {
      EMAIL_PROVIDER: 'sendgrid',
      SENDGRID_API_KEY: SENDGRID_KEY,
      SENDGRID_API_BASE_URL: sendgridUrl,
      EMAIL_FROM: 'Tidings <no-reply@tidings.test>',
      RECONCILE_INTERVAL_SECONDS: '5',
      RECONCILE_GRACE_SECONDS: '2',
    };
    platform = await new Platform({ env: workerEnv }).start();
    org = await createOrganization(platform.baseUrl);
    staff = (await org.addUser('staff')).api;
    member = await org.addUser('member');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await sendgrid.stop();
  });

  beforeEach(() => sendgrid.reset());

  const handleOf = (workflowId: string) => platform.client.workflow.getHandle(workflowId);
  const signalsOf = async (workflowId: string) =>
    (await handleOf(workflowId).fetchHistory()).events!.flatMap((event) => event.workflowExecutionSignaledEventAttributes?.signalName ?? []);

  /** With the worker (and its outbox relay) stopped, does `change` and deletes the outbox entries it wrote for `workflowId`. */
  async function dropWhileWorkerStopped<T>(
    workflowId: () => string,
    change: () => Promise<T>,
  ): Promise<{ result: T; dropped: Array<Record<string, unknown>> }> {
    await platform.worker.stop();
    try {
      const result = await change();
      const rows = await platform.query<{ command: Record<string, unknown> }>(`delete from workflow_outbox where workflow_id = $1 returning command`, [
        workflowId(),
      ]);
      return { result, dropped: rows.map((row) => row.command) };
    } finally {
      await platform.startWorker();
    }
  }

  /** The results of the reconciler's finished runs, with their workflow ids. */
  async function reconcileRuns(): Promise<Array<{ workflowId: string; summary: ReconcileSummary }>> {
    const runs: Array<{ workflowId: string; summary: ReconcileSummary }> = [];
    for await (const run of platform.client.workflow.list({ query: 'WorkflowType = "reconcile" AND ExecutionStatus = "Completed"' })) {
      runs.push({ workflowId: run.workflowId, summary: await handleOf(run.workflowId).result() });
    }
    return runs;
  }

  test('a reschedule whose signal was dropped is repaired by the reconciler: the email goes out at the new time, not an hour later', async () => {
    const { body: scheduled } = await staff.post('/v1/messages', {
      recipientId: member.id,
      title: 'Appointment moved',
      body: 'Your appointment is now today.',
      channels: ['message_center', 'email'],
      deliverAt: secondsFromNow(3600),
    });
    await eventually(async () => expect((await handleOf(scheduled.workflowId).describe()).status.name).toBe('RUNNING'));

    const { result: moved, dropped } = await dropWhileWorkerStopped(
      () => scheduled.workflowId,
      () => staff.patch(`/v1/messages/${scheduled.id}`, { deliverAt: secondsFromNow(3) }),
    );
    expect(moved.status).toBe(200);
    expect(dropped).toEqual([expect.objectContaining({ kind: 'signal', signal: 'reschedule' })]);

    // Its workflow sleeps until the old time, an hour away; only the reconciler can wake it now.
    await eventually(async () => {
      const email = (await staff.get(`/v1/messages/${scheduled.id}`)).body.deliveries.find((d: { channel: string }) => d.channel === 'email');
      expect(email).toMatchObject({ status: 'sent', attempts: 1 });
    }, REPAIR_TIMEOUT_MS);
    expect(sendgrid.delivered.map((mail) => mail.to)).toEqual([[member.email]]);
    expect((await staff.get(`/v1/messages/${scheduled.id}`)).body.status).toBe('delivered');

    // The API's reschedule never reached the workflow, so the one it heard came from the reconciler.
    expect(await signalsOf(scheduled.workflowId)).toContain('reschedule');
    const repairing = await eventually(async () => {
      const run = (await reconcileRuns()).find(({ summary }) => summary.overdueDeliveries > 0);
      expect(run).toBeDefined();
      return run!;
    });
    expect(repairing.summary).toMatchObject({ overdueDeliveries: 1, unrepairable: 0 });
    await recordHistory(platform.temporal.address, repairing.workflowId, 'reconcile-repaired-overdue-delivery');
  }, 90_000);

  test('a read whose signal was dropped still ends the message’s workflow', async () => {
    const { body: scheduled } = await staff.post('/v1/messages', {
      recipientId: member.id,
      title: 'Welcome',
      body: 'Welcome aboard.',
      channels: ['message_center'],
    });
    await eventually(async () => expect((await handleOf(scheduled.workflowId).query<ScheduledMessageState>('state')).phase).toBe('in_message_center'));

    const { result: read, dropped } = await dropWhileWorkerStopped(
      () => scheduled.workflowId,
      () => member.api.post(`/v1/me/messages/${scheduled.id}/read`),
    );
    expect(read.status).toBe(200);
    expect(dropped).toEqual([expect.objectContaining({ kind: 'signal', signal: 'read' })]);

    // With no dismiss time, hearing of the read is what ends the workflow.
    await eventually(async () => expect((await handleOf(scheduled.workflowId).describe()).status.name).toBe('COMPLETED'), REPAIR_TIMEOUT_MS);
    expect(await handleOf(scheduled.workflowId).result()).toMatchObject({ phase: 'ended', outcome: 'delivered', readAt: read.body.readAt });
    expect(await signalsOf(scheduled.workflowId)).toContain('read');
  }, 90_000);

  test('a dismissal whose signal was dropped still takes the message out of the message center for good', async () => {
    const { body: scheduled } = await staff.post('/v1/messages', {
      recipientId: member.id,
      title: 'Office closed',
      body: 'The office is closed today.',
      channels: ['message_center'],
      dismissAt: secondsFromNow(3600),
    });
    await eventually(async () => expect((await handleOf(scheduled.workflowId).query<ScheduledMessageState>('state')).phase).toBe('in_message_center'));

    const { result: moved, dropped } = await dropWhileWorkerStopped(
      () => scheduled.workflowId,
      () => staff.patch(`/v1/messages/${scheduled.id}`, { dismissAt: secondsFromNow(3) }),
    );
    expect(moved.status).toBe(200);
    expect(dropped).toEqual([expect.objectContaining({ kind: 'signal', signal: 'reschedule' })]);

    await eventually(async () => expect((await handleOf(scheduled.workflowId).describe()).status.name).toBe('COMPLETED'), REPAIR_TIMEOUT_MS);
    expect(await handleOf(scheduled.workflowId).result()).toMatchObject({ phase: 'ended', outcome: 'dismissed' });
    expect(await platform.query(`select status from message where id = $1`, [scheduled.id])).toEqual([{ status: 'dismissed' }]);
    expect(await signalsOf(scheduled.workflowId)).toContain('reschedule');
  }, 90_000);

  test('a dismiss time set after the workflow ended (on a read) is recorded by the reconciler itself, without a new workflow', async () => {
    const { body: scheduled } = await staff.post('/v1/messages', {
      recipientId: member.id,
      title: 'Survey',
      body: 'Tell us how we did.',
      channels: ['message_center'],
    });
    await eventually(async () => expect((await handleOf(scheduled.workflowId).query<ScheduledMessageState>('state')).phase).toBe('in_message_center'));
    expect((await member.api.post(`/v1/me/messages/${scheduled.id}/read`)).status).toBe(200);
    await eventually(async () => expect((await handleOf(scheduled.workflowId).describe()).status.name).toBe('COMPLETED'));
    const { runId } = await handleOf(scheduled.workflowId).describe();

    // Nothing is left to hear this: the signal finds the workflow closed.
    expect((await staff.patch(`/v1/messages/${scheduled.id}`, { dismissAt: secondsFromNow(2) })).status).toBe(200);

    await eventually(async () => {
      expect(await platform.query(`select status from message where id = $1`, [scheduled.id])).toEqual([{ status: 'dismissed' }]);
    }, REPAIR_TIMEOUT_MS);
    const audit = await platform.query(`select action, actor_id from audit_event where subject_id = $1 and action = 'message.dismissed'`, [scheduled.id]);
    expect(audit).toEqual([{ action: 'message.dismissed', actor_id: null }]);
    const runs = [];
    for await (const run of platform.client.workflow.list({ query: `WorkflowId = "${scheduled.workflowId}"` })) runs.push(run.runId);
    expect(runs).toEqual([runId]);
  }, 90_000);

  test('a conversation message whose workflow start was dropped gets its workflow, and its recipient the notification', async () => {
    let messageId = '';
    const { result: conversation, dropped } = await dropWhileWorkerStopped(
      () => `conversation-message-${messageId}`,
      async () => {
        const started = await startConversation(staff, { subject: 'Your documents', to: [member.id], body: '<p>We received your documents.</p>' });
        messageId = started.firstMessageId;
        return started;
      },
    );
    expect(dropped).toEqual([expect.objectContaining({ kind: 'start', workflowType: 'conversationMessage' })]);

    await eventually(async () => {
      const rows = await platform.query(
        `select recipient_id as user_id, channel, kind, status from delivery where subject_type = 'conversation_message' and subject_id = $1`,
        [messageId],
      );
      expect(rows).toEqual([{ user_id: member.id, channel: 'email', kind: 'new_message', status: 'sent' }]);
    }, REPAIR_TIMEOUT_MS);
    expect(sendgrid.delivered.map((mail) => mail.to)).toEqual([[member.email]]);
    // Started as the API starts it: findable in the Temporal UI by its conversation.
    const description = await handleOf(`conversation-message-${messageId}`).describe();
    expect(description.typedSearchAttributes.get(CONVERSATION_ID)).toBe(conversation.id);
  }, 90_000);

  test('a chat request whose workflow start was dropped gets its workflow: the task is recorded and its care manager told', async () => {
    const careManager = await org.addUser('staff');
    const program = (await org.admin.post('/v1/programs', { name: 'Reconciled Care' })).body.id;
    expect(await org.admin.post(`/v1/programs/${program}/enrollments`, { memberId: member.id, careManagerId: careManager.id })).toMatchObject({ status: 201 });
    const reason = (await org.admin.post('/v1/chat-request-reasons', { label: 'A question' })).body.id;
    let requestId = '';
    const { dropped } = await dropWhileWorkerStopped(
      () => `chat-request-${requestId}`,
      async () => {
        const created = await member.api.post('/v1/me/chat-requests', { reasonId: reason, comment: 'Please call me' });
        expect(created).toMatchObject({ status: 201 });
        requestId = created.body.id;
      },
    );
    expect(dropped).toEqual([expect.objectContaining({ kind: 'start', workflowType: 'chatRequest' })]);

    await eventually(async () => {
      const rows = await platform.query(
        `select d.recipient_id, d.kind, d.status from delivery d join chat_request_event e on e.id = d.subject_id where e.chat_request_id = $1`,
        [requestId],
      );
      expect(rows).toEqual([{ recipient_id: careManager.id, kind: 'task_assigned', status: 'sent' }]);
    }, REPAIR_TIMEOUT_MS);
    expect((await handleOf(`chat-request-${requestId}`).describe()).status.name).toBe('RUNNING');
    expect((await reconcileRuns()).some((run) => run.summary.unstartedChatRequests === 1)).toBe(true);
    expect(await careManager.api.post(`/v1/tasks/${requestId}/close`, { outcome: 'Called back' })).toMatchObject({ status: 200 });
  }, 90_000);

  test('the schedule exists once; workers starting side by side neither fail nor duplicate it, and bring it to their settings', async () => {
    const schedule = platform.client.schedule.getHandle(SCHEDULE_ID);
    const described = await schedule.describe();
    expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 5000 })]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcile', taskQueue: platform.taskQueue, workflowId: SCHEDULE_ID });
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(described.info.numActionsTaken).toBeGreaterThan(0);

    // Two more workers at once, configured for another interval, as a rolling deploy would start them.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...workerEnv,
      NODE_OPTIONS: '',
      NODE_ENV: 'test',
      WORKER_METRICS_PORT: '0',
      DATABASE_URL: platform.databaseUrl,
      TEMPORAL_ADDRESS: platform.temporal.address,
      TEMPORAL_TASK_QUEUE: platform.taskQueue,
      RECONCILE_INTERVAL_SECONDS: '7',
    };
    const workers = [1, 2].map((n) =>
      new ManagedProcess(`worker-${n}`, process.execPath, [...WORKER_NODE_FLAGS, path.join(REPO_ROOT, 'dist/apps/worker/main.js')], env).start(),
    );
    try {
      await Promise.all(
        workers.map((worker) =>
          waitFor(`${worker.name} to poll`, async () => worker.output.includes('polling task queue'), 60_000).catch((error) => {
            throw new Error(`${error.message}\n--- ${worker.name} output ---\n${worker.output}`);
          }),
        ),
      );
      for (const worker of workers) {
        expect(worker.running).toBe(true);
        expect(worker.output).toMatch(/schedule tidings-reconciler (updated|unchanged): every 7 s/);
      }
      expect((await schedule.describe()).spec.intervals).toEqual([expect.objectContaining({ every: 7000 })]);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }

    // And back, from three callers at once.
    const settings = { intervalSeconds: 5, taskQueue: platform.taskQueue };
    const changes = await Promise.all([1, 2, 3].map(() => ensureReconcilerSchedule(platform.client, settings)));
    expect(changes).toContain('updated');
    expect(changes).not.toContain('created');
    expect((await schedule.describe()).spec.intervals).toEqual([expect.objectContaining({ every: 5000 })]);
    expect(await ensureReconcilerSchedule(platform.client, settings)).toBe('unchanged');
    await eventually(async () => {
      const ids: string[] = [];
      for await (const listed of platform.client.schedule.list()) ids.push(listed.scheduleId);
      // Each once: the reconciler's and the upload cleanup's, which the workers ensure the same way.
      expect(ids.sort()).toEqual([SCHEDULE_ID, 'tidings-upload-cleanup'].sort());
    });
  }, 120_000);
});
