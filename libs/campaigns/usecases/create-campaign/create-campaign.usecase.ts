import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../../audit/audit.service.js';
import type { AuthUser } from '../../../auth/auth-user.js';
import { fieldError } from '../../../http/api-error.filter.js';
import { deliveryWindow, idempotentRequest } from '../../../messages/delivery-window.js';
import { WorkflowOutbox } from '../../../outbox/workflow-outbox.js';
import { checkRecipientTemplate } from '../../../templates/recipient-template.js';
import { parseAudience } from '../../audience/audience.js';
import { AudienceService } from '../../audience/audience.service.js';
import { campaignWorkflowStart } from '../../campaign-workflow.js';
import { CreateCampaignDto } from '../../campaign.dto.js';
import type { CampaignFallback } from '../../campaign.entity.js';

export const MAX_CAMPAIGN_BODY_BYTES = 64 * 1024;

export interface ScheduledCampaign {
  id: string;
  status: 'scheduled';
  deliverAt: Date;
  dismissAt: Date | null;
  workflowId: string;
}

/**
 * An admin schedules a campaign: checked whole (templates, audience, times, fallback) before anything is
 * written; then the campaign, its audit event and its workflow's start commit together, and the answer is
 * 202 whether or not Temporal is up. `Idempotency-Key` makes a retried POST return the first answer.
 */
@Injectable()
export class CreateCampaign {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly audiences: AudienceService,
  ) {}

  async execute(caller: AuthUser, dto: CreateCampaignDto, idempotencyKey?: string): Promise<ScheduledCampaign> {
    const { requestHash } = idempotentRequest(idempotencyKey, dto);
    if (idempotencyKey !== undefined) {
      const earlier = await this.earlier(caller, idempotencyKey, requestHash);
      if (earlier) return earlier;
    }
    if (Buffer.byteLength(dto.body, 'utf8') > MAX_CAMPAIGN_BODY_BYTES) throw fieldError('body', `must be at most ${MAX_CAMPAIGN_BODY_BYTES} bytes`, 413);
    checkRecipientTemplate(dto.title, 'title');
    checkRecipientTemplate(dto.body, 'body');
    const now = Date.now();
    const { deliverAt, dismissAt } = deliveryWindow(dto, now);
    const fallback = parseFallback(dto.fallback, dto.channels);
    const audience = parseAudience(dto.audience);
    await this.audiences.check(caller.organizationId, audience);

    const id = crypto.randomUUID();
    const start = campaignWorkflowStart({ id, organizationId: caller.organizationId, deliverAt });
    try {
      await this.em.transactional(async (em) => {
        await em.execute(
          `insert into campaign (id, organization_id, name, title, body, channels, deliver_at, dismiss_at, audience, fallback, status, workflow_id,
                                 created_by_id, created_at, idempotency_key, request_hash)
           values (?, ?, ?, ?, ?, ?::text[], ?, ?, ?::jsonb, ?::jsonb, 'scheduled', ?, ?, ?, ?, ?)`,
          [
            id,
            caller.organizationId,
            dto.name,
            dto.title,
            dto.body,
            `{${dto.channels.join(',')}}`,
            deliverAt,
            dismissAt,
            JSON.stringify(audience),
            fallback ? JSON.stringify(fallback) : null,
            start.workflowId,
            caller.id,
            new Date(now),
            idempotencyKey ?? null,
            idempotencyKey ? requestHash : null,
          ],
        );
        await WorkflowOutbox.start(em, start);
        // Ids, channels and times only: never the title, body or the audience's ids.
        await this.audit.recordBy(caller, 'campaign.scheduled', 'campaign', id, {
          channels: dto.channels,
          deliverAt,
          dismissAt,
          audience: Object.keys(audience)[0],
        });
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && idempotencyKey) {
        const earlier = await this.earlier(caller, idempotencyKey, requestHash);
        if (earlier) return earlier;
      }
      throw error;
    }
    return { id, status: 'scheduled', deliverAt, dismissAt, workflowId: start.workflowId };
  }

  /** The campaign a request with this key created before; the same key with another request is a 409. */
  private async earlier(caller: AuthUser, idempotencyKey: string, requestHash: string): Promise<ScheduledCampaign | null> {
    const [row] = await this.em.execute<Array<{ id: string; deliver_at: Date; dismiss_at: Date | null; workflow_id: string; request_hash: string }>>(
      `select id, deliver_at, dismiss_at, workflow_id, request_hash from campaign where created_by_id = ? and idempotency_key = ?`,
      [caller.id, idempotencyKey],
    );
    if (!row) return null;
    if (row.request_hash !== requestHash) throw fieldError('Idempotency-Key', 'was used before with a different request', 409);
    return {
      id: row.id,
      status: 'scheduled',
      deliverAt: new Date(row.deliver_at),
      dismissAt: row.dismiss_at === null ? null : new Date(row.dismiss_at),
      workflowId: row.workflow_id,
    };
  }
}

/** `{ email: 'sms' }` is the one fallback there is: an SMS to whoever's email hard-bounces or is dropped. */
function parseFallback(given: Record<string, unknown> | undefined, channels: string[]): CampaignFallback | null {
  if (given === undefined || Object.keys(given).length === 0) return null;
  for (const [from, to] of Object.entries(given)) {
    if (from !== 'email' || to !== 'sms') throw fieldError(`fallback.${from}`, 'the only fallback is { "email": "sms" }', 422);
  }
  if (!channels.includes('email')) throw fieldError('fallback.email', 'needs email among the channels', 422);
  return { email: 'sms' };
}
