import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  CAMPAIGN_STATE_CONFLICT,
  cancelCampaignUpdate,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
  workflowIdForCampaign,
} from '../../../../workflows/campaign.contract.js';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { TemporalUnavailableError, WorkflowGateway } from '../../../temporal/workflow-gateway.js';
import { campaignView, type CampaignView } from '../../campaign-views.js';

const UPDATES = { pause: pauseCampaignUpdate, resume: resumeCampaignUpdate, cancel: cancelCampaignUpdate };
export type CampaignAction = keyof typeof UPDATES;

/** The outbox relay starts a new campaign's workflow within moments; an update that comes sooner waits this long for it. */
const WAIT_FOR_START_MS = 5_000;

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
    const giveUpAt = Date.now() + WAIT_FOR_START_MS;
    for (;;) {
      let outcome;
      try {
        outcome = await this.gateway.update(workflowIdForCampaign(id), UPDATES[action], { byUserId: caller.id });
      } catch (error) {
        if (error instanceof TemporalUnavailableError) throw new ServiceUnavailableException('the campaign service is unavailable; try again shortly');
        throw error;
      }
      if (outcome.outcome === 'done') break;
      if (outcome.outcome === 'refused') {
        if (outcome.type === CAMPAIGN_STATE_CONFLICT) throw new ConflictException(outcome.message);
        throw new ConflictException(outcome.message);
      }
      // No running workflow: it has finished (so the campaign has), or the relay has not started it yet.
      const current = await campaignView(this.em, caller.organizationId, id);
      if (current.status === 'completed' || current.status === 'cancelled' || Date.now() >= giveUpAt) {
        throw new ConflictException(`a ${current.status} campaign cannot ${action}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await this.audit.recordBy(caller, `campaign.${action === 'cancel' ? 'cancelled' : action === 'pause' ? 'paused' : 'resumed'}`, 'campaign', id, {
      from: before.status,
    });
    return campaignView(this.em, caller.organizationId, id);
  }
}
