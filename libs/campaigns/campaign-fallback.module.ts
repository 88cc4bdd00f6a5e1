import { Module } from '@nestjs/common';
import { DeliveryLedger } from '../delivery/delivery-ledger.js';
import { ProviderEventsModule } from '../provider-events/provider-events.module.js';
import { CampaignFallbackListener } from './campaign-fallback.js';

/**
 * Campaign fallbacks (`{ email: 'sms' }`), in the process that receives SendGrid's Event Webhook: the API.
 * Import it beside ProviderEventsModule. Only the ledger is provided, not DeliveryModule: the API plans
 * the SMS and the worker's `deliveryFallback` workflow sends it, so no channel providers are built here.
 */
@Module({
  imports: [ProviderEventsModule],
  providers: [DeliveryLedger, CampaignFallbackListener],
  exports: [CampaignFallbackListener],
})
export class CampaignFallbackModule {}
