import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module.js';
import { DeliveryModule } from '../delivery/delivery.module.js';
import { CampaignAudienceModule } from './audience/campaign-audience.module.js';
import { CampaignDelivery } from './campaign-delivery.service.js';
import { CampaignSms } from './campaign-sms.js';

/** What the worker needs to deliver campaigns. */
@Module({
  imports: [ChannelsModule, DeliveryModule, CampaignAudienceModule],
  providers: [CampaignDelivery, CampaignSms],
  exports: [CampaignDelivery, CampaignSms],
})
export class CampaignDeliveryModule {}
