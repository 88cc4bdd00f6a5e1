import { Module } from '@nestjs/common';
import { CampaignAudienceModule } from './audience/campaign-audience.module.js';
import { CampaignsController } from './campaigns.controller.js';
import { ListCampaignRecipients } from './usecases/list-campaign-recipients/list-campaign-recipients.usecase.js';
import { ChangeCampaignState } from './usecases/change-campaign-state/change-campaign-state.usecase.js';
import { CreateCampaign } from './usecases/create-campaign/create-campaign.usecase.js';
import { ListCampaigns } from './usecases/list-campaigns/list-campaigns.usecase.js';
import { PreviewCampaign } from './usecases/preview-campaign/preview-campaign.usecase.js';
import { UpdateCampaign } from './usecases/update-campaign/update-campaign.usecase.js';

/** Campaigns in the API: schedule, follow, pause, resume, cancel, preview. */
@Module({
  imports: [CampaignAudienceModule],
  controllers: [CampaignsController],
  providers: [CreateCampaign, ListCampaigns, ChangeCampaignState, UpdateCampaign, PreviewCampaign, ListCampaignRecipients],
})
export class CampaignsModule {}
