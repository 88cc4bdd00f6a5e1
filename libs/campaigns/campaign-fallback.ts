import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DELIVERY_FALLBACK_WORKFLOW, workflowIdForDeliveryFallback, type DeliveryFallbackInput } from '../../workflows/delivery-fallback.contract.js';
import type { Channel } from '../channels/channel.js';
import { DeliveryLedger } from '../delivery/delivery-ledger.js';
import type { Delivery } from '../delivery/delivery.entity.js';
import { WorkflowOutbox } from '../outbox/workflow-outbox.js';
import { ProviderEventHooks, type HardFailureEvent } from '../provider-events/provider-event-hooks.js';
import { CAMPAIGN_ID, ORGANIZATION_ID } from '../temporal/search-attributes.js';
import type { WorkflowStart } from '../temporal/workflow-gateway.js';
import type { QuietHours } from '../organizations/organization.entity.js';
import type { CampaignFallback, CampaignStatus } from './campaign.entity.js';
import { quietUntil } from './quiet-hours.js';

/** The ledger kind of a campaign's fallback sends, beside the campaign's own `campaign`. */
export const CAMPAIGN_FALLBACK_KIND = 'campaign_fallback';

/** The start of the workflow that sends the fallback of `failedDeliveryId`, on the default task queue (its delivery activities are there). */
export function deliveryFallbackWorkflowStart(ids: {
  failedDeliveryId: string;
  organizationId: string;
  campaignId: string;
  deliveryIds: string[];
  /** Quiet hours: not before this moment. */
  notBefore?: Date;
}): WorkflowStart {
  const input: DeliveryFallbackInput = { deliveryIds: ids.deliveryIds, ...(ids.notBefore ? { notBefore: ids.notBefore.getTime() } : {}) };
  return {
    workflowType: DELIVERY_FALLBACK_WORKFLOW,
    workflowId: workflowIdForDeliveryFallback(ids.failedDeliveryId),
    args: [input],
    searchAttributes: { [ORGANIZATION_ID.name]: ids.organizationId, [CAMPAIGN_ID.name]: ids.campaignId },
    queue: 'default',
  };
}

/**
 * `fallback: { email: 'sms' }`: a campaign email that hard-bounces or is dropped leads to one SMS to its
 * recipient, in the campaign's own words (CampaignDelivery renders it like the campaign's other sends).
 * Heard through ProviderEventHooks inside the webhook's transaction, so the decision commits with the
 * event: the SMS row is planned in the ledger (a recipient without a phone number is recorded skipped,
 * with the reason) and the start of the `deliveryFallback` workflow that sends it is put in the outbox.
 * The same failure heard again plans nothing new (the ledger row is unique) and starts the same workflow
 * (its id is the failed email's).
 *
 * No fallback when the campaign was cancelled, or when it goes out by SMS itself: the recipient then has
 * (or was already refused) the campaign's own SMS, and a second one would be a duplicate.
 */
@Injectable()
export class CampaignFallbackListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CampaignFallbackListener.name);
  private unregister?: () => void;

  constructor(
    private readonly hooks: ProviderEventHooks,
    private readonly ledger: DeliveryLedger,
  ) {}

  onModuleInit(): void {
    this.unregister = this.hooks.onHardFailure((em, delivery, event) => this.fallBack(em, delivery, event));
  }

  onModuleDestroy(): void {
    this.unregister?.();
  }

  /** Inside the caller's transaction (`em`): writes the fallback's ledger row and its workflow start, or nothing. */
  async fallBack(em: EntityManager, delivery: Delivery, event: HardFailureEvent): Promise<void> {
    if (delivery.subjectType !== 'campaign' || delivery.kind !== 'campaign' || delivery.channel !== 'email') return;
    const [campaign] = await em.execute<
      Array<{ id: string; organization_id: string; status: CampaignStatus; channels: Channel[]; fallback: CampaignFallback | null }>
    >(`select id, organization_id, status, channels, fallback from campaign where id = ?`, [delivery.subjectId]);
    if (!campaign || campaign.fallback?.email !== 'sms' || campaign.status === 'cancelled' || campaign.channels.includes('sms')) return;
    const targets = await this.ledger.plan(
      {
        // Due when the failure was heard: the SMS's delivery lag is measured from here, not from the campaign's start.
        subject: { type: 'campaign', id: campaign.id, organizationId: campaign.organization_id, dueAt: new Date() },
        kind: CAMPAIGN_FALLBACK_KIND,
        recipientIds: [delivery.recipientId],
        channels: ['sms'],
        unreachable: 'record',
      },
      em,
    );
    // No phone number: the skip is recorded on the row, and there is nothing to send.
    if (targets.length === 0) return;
    // An SMS like the campaign's own: inside the recipient's quiet hours it waits for them to end (counted as deferred).
    const [recipient] = await em.execute<Array<{ timezone: string; quiet_hours: QuietHours | null }>>(
      `select coalesce(u.timezone, o.timezone) as timezone, o.quiet_hours from app_user u join organization o on o.id = ? where u.id = ?`,
      [campaign.organization_id, delivery.recipientId],
    );
    const notBefore = recipient ? (quietUntil(new Date(), recipient.timezone, recipient.quiet_hours) ?? undefined) : undefined;
    if (notBefore) {
      await em.execute(`update delivery set not_before = ? where id = any(?::uuid[])`, [
        notBefore,
        `{${targets.map((target) => target.deliveryId).join(',')}}`,
      ]);
    }
    await WorkflowOutbox.start(
      em,
      deliveryFallbackWorkflowStart({
        failedDeliveryId: delivery.id,
        organizationId: campaign.organization_id,
        campaignId: campaign.id,
        deliveryIds: targets.map((target) => target.deliveryId),
        notBefore,
      }),
    );
    this.logger.log(`campaign ${campaign.id}: email delivery ${delivery.id} ${event === 'bounce' ? 'bounced' : 'was dropped'}; falling back to SMS`);
  }
}
