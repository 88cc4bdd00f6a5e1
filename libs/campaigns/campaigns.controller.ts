import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import { CreateCampaignDto, ListCampaignsQuery, PreviewCampaignQuery, UpdateCampaignDto } from './campaign.dto.js';
import { campaignView } from './campaign-views.js';
import { ChangeCampaignState } from './usecases/change-campaign-state/change-campaign-state.usecase.js';
import { CreateCampaign } from './usecases/create-campaign/create-campaign.usecase.js';
import { ListCampaigns } from './usecases/list-campaigns/list-campaigns.usecase.js';
import { PreviewCampaign } from './usecases/preview-campaign/preview-campaign.usecase.js';
import { UpdateCampaign } from './usecases/update-campaign/update-campaign.usecase.js';

/** Campaigns: one message to many users. Admins only. */
@ApiTags('campaigns')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/campaigns')
export class CampaignsController {
  constructor(
    private readonly em: EntityManager,
    private readonly createCampaign: CreateCampaign,
    private readonly listCampaigns: ListCampaigns,
    private readonly changeState: ChangeCampaignState,
    private readonly updateCampaign: UpdateCampaign,
    private readonly previewCampaign: PreviewCampaign,
  ) {}

  /** 202 once stored: the campaign's workflow starts after commit, and delivers at `deliverAt`. */
  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retried POST with the same key returns the first answer' })
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateCampaignDto, @Headers('idempotency-key') idempotencyKey?: string) {
    return this.createCampaign.execute(caller, body, idempotencyKey);
  }

  @Get()
  list(@CurrentUser() caller: AuthUser, @Query() query: ListCampaignsQuery) {
    return this.listCampaigns.execute(caller, query);
  }

  @Get(':id')
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return campaignView(this.em, caller.organizationId, id);
  }

  @Get(':id/preview')
  preview(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Query() query: PreviewCampaignQuery) {
    return this.previewCampaign.execute(caller, id, query.userId);
  }

  @Patch(':id')
  update(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: UpdateCampaignDto) {
    return this.updateCampaign.execute(caller, id, body);
  }

  @Post(':id/pause')
  @HttpCode(200)
  pause(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.changeState.execute(caller, id, 'pause');
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.changeState.execute(caller, id, 'resume');
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.changeState.execute(caller, id, 'cancel');
  }
}
