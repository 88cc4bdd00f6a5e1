import 'reflect-metadata';
import { MikroORM, RequestContext } from '@mikro-orm/core';
import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { createCampaignActivities } from '../../activities/campaign.activities.js';
import { createChatRequestActivities } from '../../activities/chat-request.activities.js';
import { createConversationNotificationActivities } from '../../activities/conversation-notification.activities.js';
import { createDeliveryActivities } from '../../activities/delivery.activities.js';
import { CAMPAIGN_BATCHES_IN_FLIGHT } from '../../workflows/campaign.contract.js';
import { PROVIDER_REQUEST_TIMEOUT_MS } from '../../workflows/delivery-policy.js';
import { createMessageDeliveryActivities } from '../../activities/message-delivery.activities.js';
import { createReconcileActivities } from '../../activities/reconcile.activities.js';
import type { AppConfig } from '../../libs/config/app-config.js';
import { CampaignDelivery } from '../../libs/campaigns/campaign-delivery.service.js';
import { CampaignSms } from '../../libs/campaigns/campaign-sms.js';
import { campaignSmsTaskQueue, type CampaignSmsRequest } from '../../workflows/campaign.contract.js';
import { TaskChanges } from '../../libs/chat-requests/task-changes.service.js';
import { ConversationNotificationsService } from '../../libs/conversations/conversation-notifications.service.js';
import { Deliverer } from '../../libs/delivery/deliverer.js';
import { DeliveryLedger } from '../../libs/delivery/delivery-ledger.js';
import { MessageDeliveryService } from '../../libs/messages/message-delivery.service.js';
import { OutboxRelay } from '../../libs/outbox/outbox-relay.js';
import { ensureReconcilerScheduleForWorker } from '../../libs/reconciler/reconciler-schedule.js';
import { ReconcilerService } from '../../libs/reconciler/reconciler.service.js';
import { TIDINGS_SEARCH_ATTRIBUTES } from '../../libs/temporal/search-attributes.js';
import { WorkflowGateway } from '../../libs/temporal/workflow-gateway.js';
import { workflowBundle as loadWorkflowBundle } from './bundle.js';
import { temporalConnectionOptions } from '../../libs/temporal/temporal-connection.js';
import { createUploadCleanupActivities } from '../../activities/upload-cleanup.activities.js';
import { AbandonedUploads } from '../../libs/attachments/abandoned-uploads.js';
import { ensurePeriodicScheduleForWorker } from '../../libs/temporal/periodic-schedule.js';
import { UPLOAD_CLEANUP_SCHEDULE_ID, UPLOAD_CLEANUP_WORKFLOW } from '../../workflows/upload-cleanup.contract.js';

/** Abandoned uploads go within the hour after their 24 hours are up. */
const UPLOAD_CLEANUP_INTERVAL_SECONDS = 3600;
import { WorkerModule } from './worker.module.js';

export interface TidingsWorker {
  worker: Worker;
  /** Polls the campaign task queue: campaign workflows and their batches, apart from everything else. */
  campaignWorker: Worker;
  /** Polls the campaign SMS task queue, whose pace the server keeps (TWILIO_MAX_PER_SECOND). */
  smsWorker: Worker;
  app: INestApplicationContext;
  /** Runs until shut down (SIGINT/SIGTERM or worker.shutdown()), then releases the database. */
  run(): Promise<void>;
}

export async function createWorker(config: AppConfig): Promise<TidingsWorker> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: ['log', 'warn', 'error'] });
  const orm = app.get(MikroORM);
  const deliveries = app.get(MessageDeliveryService);
  const conversationNotifications = app.get(ConversationNotificationsService);
  const taskChanges = app.get(TaskChanges);
  const delivery = { deliverer: app.get(Deliverer), ledger: app.get(DeliveryLedger) };
  const reconciler = app.get(ReconcilerService);
  const abandonedUploads = app.get(AbandonedUploads);
  await registerSearchAttributes(config);

  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const shared = sharedWorkerOptions(connection, config);
  // One bundle for both workers, built by `npm run build` (bundle.ts).
  const workflowBundle = await loadWorkflowBundle();
  const worker = await Worker.create({
    ...shared,
    taskQueue: config.temporal.taskQueue,
    workflowBundle,
    maxCachedWorkflows: DEFAULT_QUEUE_CACHED_WORKFLOWS,
    // Each activity gets its own unit of work, as each HTTP request does in the API.
    activities: {
      ...createMessageDeliveryActivities((work) => RequestContext.create(orm.em, () => work(deliveries))),
      ...createConversationNotificationActivities((work) => RequestContext.create(orm.em, () => work(conversationNotifications))),
      ...createChatRequestActivities((work) => RequestContext.create(orm.em, () => work(taskChanges))),
      ...createDeliveryActivities((work) => RequestContext.create(orm.em, () => work(delivery))),
      ...createReconcileActivities((work) => RequestContext.create(orm.em, () => work(reconciler))),
      ...createUploadCleanupActivities((work) => RequestContext.create(orm.em, () => work(abandonedUploads))),
    },
  });
  const campaignServices = { delivery: app.get(CampaignDelivery), sms: app.get(CampaignSms) };
  const campaignActivities = createCampaignActivities((work) => RequestContext.create(orm.em, () => work(campaignServices)));
  const campaignWorker = await Worker.create({
    ...shared,
    taskQueue: config.temporal.campaignTaskQueue,
    workflowBundle,
    maxCachedWorkflows: CAMPAIGN_QUEUE_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: CAMPAIGN_ACTIVITIES_AT_ONCE,
    activities: campaignActivities,
  });
  // Activities only, one text each: the server starts them across all workers at no more than the pace, and
  // each worker holds no more than two seconds' worth (CampaignSms spaces them).
  const smsWorker = await Worker.create({
    ...shared,
    taskQueue: campaignSmsTaskQueue(config.temporal.campaignTaskQueue),
    maxTaskQueueActivitiesPerSecond: config.sms.maxPerSecond,
    maxConcurrentActivityTaskExecutions: Math.max(2, 2 * config.sms.maxPerSecond),
    activities: { sendCampaignSms: (request: CampaignSmsRequest) => campaignActivities.sendCampaignSms(request) },
  });
  await ensureReconcilerScheduleForWorker(app.get(WorkflowGateway), config);
  await ensurePeriodicScheduleForWorker(app.get(WorkflowGateway), {
    scheduleId: UPLOAD_CLEANUP_SCHEDULE_ID,
    workflowType: UPLOAD_CLEANUP_WORKFLOW,
    taskQueue: config.temporal.taskQueue,
    intervalSeconds: UPLOAD_CLEANUP_INTERVAL_SECONDS,
  });
  return {
    worker,
    campaignWorker,
    smsWorker,
    app,
    async run() {
      const relay = app.get(OutboxRelay);
      relay.start();
      try {
        // One stopping (a signal stops all) stops the others, so the process never runs part of a worker.
        const workers = [worker, campaignWorker, smsWorker];
        const stopOthers = () => workers.forEach((other) => other.getState() === 'RUNNING' && other.shutdown());
        await Promise.all(workers.map((each) => each.run().finally(stopOthers)));
      } finally {
        await relay.stop();
        await connection.close();
        await app.close();
      }
    },
  };
}

/**
 * What every Worker of this process shares: spread it into each `Worker.create`, then add the task queue and
 * what is the queue's own. A Worker given `workflowBundle` runs its workflows on a thread of its own, with a
 * V8 isolate of its own (40-60 MB of resident memory, idle, measured); one that only runs activities adds none.
 */
function sharedWorkerOptions(connection: NativeConnection, config: AppConfig) {
  return {
    connection,
    namespace: config.temporal.namespace,
    // SIGTERM lets sends in flight finish (a provider may take up to its request timeout) before the
    // worker stops; only then are they cancelled, which aborts their requests.
    shutdownGraceTime: PROVIDER_REQUEST_TIMEOUT_MS + 10_000,
  } satisfies Partial<WorkerOptions>;
}

/**
 * Workflows kept in a worker's cache between their tasks (sleeping scheduled messages, mostly). Set here
 * rather than left to the SDK, whose default grows with the V8 heap limit (2,395 per worker on a 4 GB
 * heap); one evicted is replayed from its (short) history when its next task comes.
 */
const DEFAULT_QUEUE_CACHED_WORKFLOWS = 1000;
/** A campaign's workflow continues as new every few batches, and few campaigns run at once. */
const CAMPAIGN_QUEUE_CACHED_WORKFLOWS = 100;
/**
 * Campaign activities running at once in this process: two campaigns' batches in flight. Each batch holds
 * a thousand recipients, their rendered notifications and a SendGrid request body while it runs; the SDK's
 * default of 100 would let 25 campaigns put 100 batches in one worker's memory, all waiting on the same
 * database pool. More campaigns still all progress, their batches taking turns.
 */
const CAMPAIGN_ACTIVITIES_AT_ONCE = 2 * CAMPAIGN_BATCHES_IN_FLIGHT;

/**
 * Makes the Temporal UI able to find a message's workflow by organisation, recipient or message id
 * on any server: the dev server gets them from its flags, a fresh production cluster from here.
 */
async function registerSearchAttributes(config: AppConfig): Promise<void> {
  const logger = new Logger('Worker');
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: config.temporal.namespace });
    const missing = TIDINGS_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (customAttributes ?? {})));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace: config.temporal.namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
    });
    logger.log(`registered search attributes ${missing.map((key) => key.name).join(', ')}`);
  } catch (error) {
    logger.warn(`could not check or register search attributes: ${(error as Error).message}`);
  } finally {
    await connection.close();
  }
}
