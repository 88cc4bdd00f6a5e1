import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module.js';
import { DeliveryModule } from '../delivery/delivery.module.js';
import { CampaignAudienceModule } from './audience/campaign-audience.module.js';
import { CampaignDelivery } from './campaign-delivery.service.js';

/** What the worker needs to deliver campaigns. */
@Module({
  imports: [ChannelsModule, DeliveryModule, CampaignAudienceModule],
  providers: [CampaignDelivery],
  exports: [CampaignDelivery],
})
export class CampaignDeliveryModule {}
