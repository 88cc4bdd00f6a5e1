import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '../../libs/audit/audit.module.js';
import { UploadCleanupModule } from '../../libs/attachments/abandoned-uploads.js';
import type { AppConfig } from '../../libs/config/app-config.js';
import { ConfigModule } from '../../libs/config/config.module.js';
import { DatabaseModule } from '../../libs/database/database.module.js';
import { TaskChangesModule } from '../../libs/chat-requests/task-changes.module.js';
import { CampaignDeliveryModule } from '../../libs/campaigns/campaign-delivery.module.js';
import { ConversationNotificationsModule } from '../../libs/conversations/conversation-notifications.module.js';
import { MessageDeliveryModule } from '../../libs/messages/message-delivery.module.js';
import { MetricsModule } from '../../libs/metrics/metrics.module.js';
import { OutboxModule } from '../../libs/outbox/outbox.module.js';
import { ReconcilerModule } from '../../libs/reconciler/reconciler.module.js';
import { TemporalModule } from '../../libs/temporal/temporal.module.js';

/** The services activities call, the outbox relay and the reconciler; no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule,
        AuditModule,
        TemporalModule,
        OutboxModule,
        MessageDeliveryModule,
        ConversationNotificationsModule,
        TaskChangesModule,
        CampaignDeliveryModule,
        ReconcilerModule,
        UploadCleanupModule,
      ],
    };
  }
}
