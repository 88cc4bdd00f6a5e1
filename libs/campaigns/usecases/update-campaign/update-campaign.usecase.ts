import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable } from '@nestjs/common';
import { campaignRescheduledSignal, workflowIdForCampaign } from '../../../../workflows/campaign.contract.js';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { fieldError } from '../../../http/api-error.filter.js';
import { MAX_SCHEDULE_AHEAD_MS, PAST_TOLERANCE_MS } from '../../../messages/delivery-window.js';
import { WorkflowOutbox } from '../../../outbox/workflow-outbox.js';
import { UpdateCampaignDto } from '../../campaign.dto.js';
import { campaignView, type CampaignView } from '../../campaign-views.js';

/**
 * `deliverAt` moves only before the campaign starts (decided in the database, against its clock: 409
 * once due); `dismissAt` moves any time, and every message of the campaign follows it at once, since
 * the message center reads it from the campaign.
 */
@Injectable()
export class UpdateCampaign {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async execute(caller: AuthUser, id: string, dto: UpdateCampaignDto): Promise<CampaignView> {
    if (dto.deliverAt === undefined && dto.dismissAt === undefined) throw fieldError('body', 'give deliverAt, dismissAt or both');
    const current = await campaignView(this.em, caller.organizationId, id);
    const deliverAt = dto.deliverAt ? new Date(dto.deliverAt) : current.deliverAt;
    const dismissAt = dto.dismissAt === undefined ? current.dismissAt : dto.dismissAt === null ? null : new Date(dto.dismissAt);
    if (dto.deliverAt && deliverAt.getTime() < Date.now() - PAST_TOLERANCE_MS) throw fieldError('deliverAt', 'must not be in the past');
    if (dto.deliverAt && deliverAt.getTime() > Date.now() + MAX_SCHEDULE_AHEAD_MS) throw fieldError('deliverAt', 'must be at most a year ahead');
    if (dismissAt && dismissAt <= deliverAt) throw fieldError('dismissAt', 'must be after deliverAt');
    await this.em.transactional(async (em) => {
      if (dto.deliverAt) {
        const moved = await em.execute<Array<{ id: string }>>(
          `update campaign set deliver_at = ?, dismiss_at = ? where id = ? and status = 'scheduled' and deliver_at > now() returning id`,
          [deliverAt, dismissAt, id],
        );
        if (moved.length === 0) throw new ConflictException('the campaign has started; its delivery time can no longer move');
        await WorkflowOutbox.signal(em, workflowIdForCampaign(id), campaignRescheduledSignal.name, { deliverAt: deliverAt.getTime() });
      } else if (dto.dismissAt !== undefined) {
        await em.execute(`update campaign set dismiss_at = ? where id = ?`, [dismissAt, id]);
      }
      await this.audit.recordBy(caller, 'campaign.updated', 'campaign', id, { deliverAt: dto.deliverAt ?? null, dismissAt: dto.dismissAt ?? null });
    });
    return campaignView(this.em, caller.organizationId, id);
  }
}
