import 'reflect-metadata';
import { MikroORM, RequestContext } from '@mikro-orm/core';
import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { createCampaignActivities } from '../../activities/campaign.activities.js';
import { createChatRequestActivities } from '../../activities/chat-request.activities.js';
import { createConversationNotificationActivities } from '../../activities/conversation-notification.activities.js';
import { createDeliveryActivities } from '../../activities/delivery.activities.js';
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
  await registerSearchAttributes(config);

  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // One bundle for both workers, built by `npm run build` (bundle.ts).
  const workflowBundle = await loadWorkflowBundle();
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle,
    // SIGTERM lets sends in flight finish (a provider may take up to its request timeout) before the
    // worker stops; only then are they cancelled, which aborts their requests.
    shutdownGraceTime: PROVIDER_REQUEST_TIMEOUT_MS + 10_000,
    // Each activity gets its own unit of work, as each HTTP request does in the API.
    activities: {
      ...createMessageDeliveryActivities((work) => RequestContext.create(orm.em, () => work(deliveries))),
      ...createConversationNotificationActivities((work) => RequestContext.create(orm.em, () => work(conversationNotifications))),
      ...createChatRequestActivities((work) => RequestContext.create(orm.em, () => work(taskChanges))),
      ...createDeliveryActivities((work) => RequestContext.create(orm.em, () => work(delivery))),
      ...createReconcileActivities((work) => RequestContext.create(orm.em, () => work(reconciler))),
    },
  });
  const campaignServices = { delivery: app.get(CampaignDelivery), sms: app.get(CampaignSms) };
  const campaignActivities = createCampaignActivities((work) => RequestContext.create(orm.em, () => work(campaignServices)));
  const campaignWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.campaignTaskQueue,
    workflowBundle,
    shutdownGraceTime: PROVIDER_REQUEST_TIMEOUT_MS + 10_000,
    activities: campaignActivities,
  });
  // Activities only, one text each: the server starts them across all workers at no more than the pace, and
  // each worker holds no more than two seconds' worth (CampaignSms spaces them).
  const smsWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: campaignSmsTaskQueue(config.temporal.campaignTaskQueue),
    maxTaskQueueActivitiesPerSecond: config.sms.maxPerSecond,
    maxConcurrentActivityTaskExecutions: Math.max(2, 2 * config.sms.maxPerSecond),
    shutdownGraceTime: PROVIDER_REQUEST_TIMEOUT_MS + 10_000,
    activities: { sendCampaignSms: (request: CampaignSmsRequest) => campaignActivities.sendCampaignSms(request) },
  });
  await ensureReconcilerScheduleForWorker(app.get(WorkflowGateway), config);
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
 * Makes the Temporal UI able to find a message's workflow by organisation, recipient or message id
 * on any server: the dev server gets them from its flags, a fresh production cluster from here.
 */
async function registerSearchAttributes(config: AppConfig): Promise<void> {
  const logger = new Logger('Worker');
  const connection = await Connection.connect({ address: config.temporal.address });
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
