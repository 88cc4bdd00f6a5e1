import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { cancelCampaignUpdate, pauseCampaignUpdate, resumeCampaignUpdate, workflowIdForCampaign } from '../../../../workflows/campaign.contract.js';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { TemporalUnavailableError, WorkflowGateway } from '../../../temporal/workflow-gateway.js';
import { campaignView, type CampaignView } from '../../campaign-views.js';

const UPDATES = { pause: pauseCampaignUpdate, resume: resumeCampaignUpdate, cancel: cancelCampaignUpdate };
export type CampaignAction = keyof typeof UPDATES;

/**
 * Pause, resume and cancel are updates of the campaign's workflow: it decides against its own state (a
 * completed campaign cannot pause: 409) and answers once the change holds — a paused campaign starts no
 * new batch; a cancelled one sends nothing more.
 */
@Injectable()
export class ChangeCampaignState {
  constructor(
    private readonly em: EntityManager,
    private readonly gateway: WorkflowGateway,
    private readonly audit: AuditService,
  ) {}

  async execute(caller: AuthUser, id: string, action: CampaignAction): Promise<CampaignView> {
    const before = await campaignView(this.em, caller.organizationId, id);
    let outcome;
    try {
      outcome = await this.gateway.updateOnceStarted(workflowIdForCampaign(id), UPDATES[action], { byUserId: caller.id }, async () => {
        const { status } = await campaignView(this.em, caller.organizationId, id);
        return status !== 'completed' && status !== 'cancelled';
      });
    } catch (error) {
      if (error instanceof TemporalUnavailableError) throw new ServiceUnavailableException('the campaign service is unavailable; try again shortly');
      throw error;
    }
    switch (outcome.outcome) {
      case 'refused':
        throw new ConflictException(outcome.message);
      case 'gone':
        // Its workflow has run its course: the campaign is complete (or cancelled).
        throw new ConflictException(`a ${(await campaignView(this.em, caller.organizationId, id)).status} campaign cannot ${action}`);
      case 'not_started':
        throw new ServiceUnavailableException('the campaign is still being set up; try again shortly');
    }
    await this.audit.recordBy(caller, `campaign.${action === 'cancel' ? 'cancelled' : action === 'pause' ? 'paused' : 'resumed'}`, 'campaign', id, {
      from: before.status,
    });
    return campaignView(this.em, caller.organizationId, id);
  }
}
