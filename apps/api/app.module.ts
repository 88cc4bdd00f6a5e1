import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '../../libs/audit/audit.module.js';
import { AuthModule } from '../../libs/auth/auth.module.js';
import { RateLimitsModule } from '../../libs/rate-limits/rate-limits.module.js';
import type { AppConfig } from '../../libs/config/app-config.js';
import { ConfigModule } from '../../libs/config/config.module.js';
import { DatabaseModule } from '../../libs/database/database.module.js';
import { HealthModule } from '../../libs/health/health.module.js';
import { PortalModule } from '../../libs/portal/portal.module.js';
import { MessagesModule } from '../../libs/messages/messages.module.js';
import { MetricsController } from '../../libs/metrics/metrics.controller.js';
import { MetricsModule } from '../../libs/metrics/metrics.module.js';
import { OrganizationsModule } from '../../libs/organizations/organizations.module.js';
import { PushSubscriptionsModule } from '../../libs/push-subscriptions/push-subscriptions.module.js';
import { TemporalModule } from '../../libs/temporal/temporal.module.js';
import { UsersModule } from '../../libs/users/users.module.js';
import { TeamsModule } from '../../libs/teams/teams.module.js';
import { AwayPeriodsModule } from '../../libs/away-periods/away-periods.module.js';
import { ClientAccountsModule } from '../../libs/client-accounts/client-accounts.module.js';
import { CannedResponsesModule } from '../../libs/canned-responses/canned-responses.module.js';
import { ConversationsModule } from '../../libs/conversations/conversations.module.js';
import { ProgramsModule } from '../../libs/programs/programs.module.js';
import { ChatRequestReasonsModule } from '../../libs/chat-request-reasons/chat-request-reasons.module.js';
import { ChatRequestsModule } from '../../libs/chat-requests/chat-requests.module.js';
import { CampaignsModule } from '../../libs/campaigns/campaigns.module.js';
import { ProviderEventsModule } from '../../libs/provider-events/provider-events.module.js';
import { CampaignFallbackModule } from '../../libs/campaigns/campaign-fallback.module.js';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule,
        TemporalModule,
        AuditModule,
        AuthModule,
        // After AuthModule: its global guard knows the caller before this one counts their requests.
        RateLimitsModule,
        OrganizationsModule,
        UsersModule,
        MessagesModule,
        PushSubscriptionsModule,
        HealthModule,
        PortalModule,
        TeamsModule,
        AwayPeriodsModule,
        ClientAccountsModule,
        CannedResponsesModule,
        ConversationsModule,
        ProgramsModule,
        ChatRequestReasonsModule,
        ChatRequestsModule,
        CampaignsModule,
        ProviderEventsModule,
        // Listens to ProviderEventHooks, in the webhook's transaction: a bounced campaign email falls back to SMS.
        CampaignFallbackModule,
      ],
      // Only the API serves /metrics through Nest; the worker has its own small server (apps/worker/main.ts).
      controllers: [MetricsController],
    };
  }
}
