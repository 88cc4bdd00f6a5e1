import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { uuidParam } from '../http/validation.js';
import {
  CreateCampaignDto,
  ListCampaignRecipientsQuery,
  ListCampaignsQuery,
  PreviewCampaignDraftDto,
  PreviewCampaignQuery,
  UpdateCampaignDto,
} from './campaign.dto.js';
import { ListCampaignRecipients } from './usecases/list-campaign-recipients/list-campaign-recipients.usecase.js';
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
    private readonly recipients: ListCampaignRecipients,
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

  /** Per recipient and channel: status, attempts, last error; filtered by `status` and `channel`. */
  @Get(':id/recipients')
  listRecipients(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Query() query: ListCampaignRecipientsQuery) {
    return this.recipients.page(caller, id, query);
  }

  /** The same as CSV, streamed (e.g. `?status=failed` for the failed recipients). */
  @Get(':id/recipients.csv')
  async recipientsCsv(
    @CurrentUser() caller: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Query() query: ListCampaignRecipientsQuery,
    @Res() response: ServerResponse,
  ): Promise<void> {
    const lines = this.recipients.csv(caller, id, query);
    // The first chunk (the header) comes only once the campaign is found, so a 404 is still a JSON error.
    const first = await lines.next();
    response.setHeader('content-type', 'text/csv; charset=utf-8');
    response.setHeader('content-disposition', `attachment; filename="campaign-${id}-recipients.csv"`);
    await pipeline(
      Readable.from(
        (async function* () {
          if (!first.done) yield first.value;
          yield* lines;
        })(),
      ),
      response,
    );
  }

  /** The title and body being written, as one recipient would read them: the create form's preview. */
  @Post('preview')
  @HttpCode(200)
  previewDraft(@CurrentUser() caller: AuthUser, @Body() body: PreviewCampaignDraftDto) {
    return this.previewCampaign.draft(caller, body, body.userId);
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
