import { Module } from '@nestjs/common';
import { AttachmentStorage } from '../../attachments/attachment-storage.js';
import { AudienceService } from './audience.service.js';

/**
 * A campaign's audience: checked when the campaign is created (API) and snapshotted when it starts
 * (worker). It reads CSV files straight from the attachments directory, so it needs the storage but not
 * AttachmentsModule (whose controller and access policy belong to whoever serves downloads).
 */
@Module({ providers: [AudienceService, AttachmentStorage], exports: [AudienceService] })
export class CampaignAudienceModule {}
