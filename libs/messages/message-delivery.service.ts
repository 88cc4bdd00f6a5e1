import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { DeliveryTarget } from '../../workflows/delivery-policy.js';
import type { ChannelDeliveryResult, ChannelOutcome, ClaimResult, DirectChannel, DismissResult } from '../../workflows/scheduled-message.contract.js';
import { AuditService } from '../audit/audit.service.js';
import { isProviderChannel, type ProviderChannel } from '../channels/channel.js';
import { NotificationRenderer } from '../channels/notification-renderer.js';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { Deliverer, type DeliveryContent, type RenderedDelivery } from '../delivery/deliverer.js';
import { DeliveryLedger } from '../delivery/delivery-ledger.js';
import { Delivery } from '../delivery/delivery.entity.js';
import { Message } from './message.entity.js';

/** `missing`: no such message at all. */
export type ClaimAttempt = ClaimResult | { outcome: 'missing' };

/**
 * A due message's way to its recipient: recorded as delivered, planned on each provider channel in the
 * delivery ledger, sent through the Deliverer, and dismissed at its time. Each method is safe to run again,
 * so Temporal may retry any of them after a crash.
 */
@Injectable()
export class MessageDeliveryService implements DeliveryContent, OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly renderer: NotificationRenderer,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: DeliveryLedger,
    private readonly deliverer: Deliverer,
  ) {}

  onModuleInit(): void {
    this.deliverer.register('message', this);
  }

  /**
   * Records that a due message was delivered (the inbox query showed it from deliverAt on). Loses to a
   * cancel or a move to a later time that reached the database first.
   */
  async claim(messageId: string): Promise<ClaimAttempt> {
    const rows: Array<Pick<Message, 'channels'> & { dismiss_at: Date | null }> = await this.em.getConnection().execute(
      `update message
          set status = case when removed_at is null then 'delivered' else 'dismissed' end,
              delivered_at = greatest(deliver_at, created_at)
        where id = ? and status = 'scheduled' and deliver_at <= now() + interval '50 milliseconds'
        returning channels, dismiss_at`,
      [messageId],
    );
    if (rows.length === 1) {
      return { outcome: 'claimed', channels: rows[0].channels, dismissAt: rows[0].dismiss_at ? new Date(rows[0].dismiss_at).toISOString() : null };
    }
    const message = await this.em.findOne(Message, messageId, { fields: ['status', 'deliverAt', 'channels', 'dismissAt'] });
    if (!message) return { outcome: 'missing' };
    if (message.status === 'cancelled') return { outcome: 'gone' };
    if (message.status === 'scheduled') return { outcome: 'not_due', deliverAt: message.deliverAt.toISOString() };
    // Claimed by an earlier attempt whose answer was lost: carry on delivering.
    return { outcome: 'claimed', channels: message.channels, dismissAt: message.dismissAt?.toISOString() ?? null };
  }

  /** claim and, once claimed, plan: what the workflow needs at the delivery time, in one local activity. */
  async claimAndPlan(messageId: string): Promise<ClaimResult> {
    const claim = await this.claim(messageId);
    if (claim.outcome === 'missing') return { outcome: 'gone' };
    if (claim.outcome !== 'claimed') return claim;
    const providerChannels = claim.channels.filter(isProviderChannel);
    return { ...claim, targets: providerChannels.length > 0 ? await this.plan(messageId, providerChannels) : [] };
  }

  /**
   * At the delivery time, a channel with one send per message (email, SMS): claims the message, plans the
   * send and sends it. Safe to repeat: a repeat finds the message claimed and the send settled or leased.
   */
  async deliverChannelWhenDue(messageId: string, channel: DirectChannel, signal?: AbortSignal): Promise<ChannelDeliveryResult> {
    const claim = await this.claim(messageId);
    if (claim.outcome === 'missing') return { outcome: 'gone' };
    if (claim.outcome !== 'claimed') return claim;
    const [planned] = await this.plan(messageId, [channel]);
    // Nothing left to send: an earlier attempt settled it, or the plan recorded it skipped. The ledger says which.
    const deliveryId =
      planned?.deliveryId ?? (await this.em.findOne(Delivery, { subjectType: 'message', subjectId: messageId, channel }, { fields: ['id'] }))?.id;
    const sent = deliveryId ? await this.deliverer.deliver(deliveryId, signal) : 'skipped';
    return { outcome: 'claimed', dismissAt: claim.dismissAt, sent };
  }

  /** The ledger rows for the message's provider channels, one per push subscription; returns those to send. */
  async plan(messageId: string, channels?: readonly ProviderChannel[]): Promise<DeliveryTarget[]> {
    const message = await this.em.findOneOrFail(Message, messageId, { fields: ['organization', 'recipient', 'channels', 'deliverAt', 'createdAt'] });
    return this.ledger.plan({
      subject: {
        type: 'message',
        id: message.id,
        organizationId: message.organization.id,
        dueAt: message.deliverAt > message.createdAt ? message.deliverAt : message.createdAt,
      },
      kind: 'message',
      recipientIds: [message.recipient.id],
      channels: channels ?? message.channels.filter(isProviderChannel),
      // The sender chose these channels: one the recipient cannot be reached on is worth telling them.
      unreachable: 'record',
    });
  }

  /**
   * For workflows started before the ledger, which send a whole channel in one activity: every target of
   * the channel, each through the ledger, so a retry sends only what has not gone out yet.
   */
  async deliverChannel(messageId: string, channel: ProviderChannel): Promise<ChannelOutcome> {
    const targets = await this.plan(messageId, [channel]);
    return this.deliverer.deliverEach(targets.map((target) => target.deliveryId));
  }

  /** A channel Temporal gave up on (a day of transient failures), for workflows started before the ledger. */
  async recordChannelGaveUp(messageId: string, channel: ProviderChannel, reason: string): Promise<void> {
    const open = await this.em.find(
      Delivery,
      { subjectType: 'message', subjectId: messageId, channel, status: { $in: ['pending', 'sending'] } },
      { fields: ['id'] },
    );
    await this.ledger.giveUp(
      open.map((delivery) => delivery.id),
      reason,
    );
  }

  /** A message that reached its recipient nowhere is `failed`: no message center, and every send failed. */
  async finish(messageId: string): Promise<'delivered' | 'failed'> {
    const message = await this.em.findOneOrFail(Message, messageId, { fields: ['channels'] });
    const deliveries = await this.em.find(Delivery, { subjectType: 'message', subjectId: messageId }, { fields: ['status'] });
    const failed = !message.channels.includes('message_center') && deliveries.length > 0 && deliveries.every((d) => d.status === 'failed');
    if (failed) await this.em.nativeUpdate(Message, { id: messageId, status: 'delivered' }, { status: 'failed' });
    return failed ? 'failed' : 'delivered';
  }

  /** The dismiss time has come: the message leaves the recipient's message center, unless it was moved later. */
  async dismiss(messageId: string): Promise<DismissResult> {
    const rows: Array<{ organization_id: string }> = await this.em.getConnection().execute(
      `update message set status = 'dismissed', dismissed_at = now()
        where id = ? and status = 'delivered' and dismiss_at <= now() + interval '50 milliseconds'
        returning organization_id`,
      [messageId],
    );
    if (rows.length === 1) {
      await this.audit.record({
        organizationId: rows[0].organization_id,
        actorId: null,
        action: 'message.dismissed',
        subjectType: 'message',
        subjectId: messageId,
      });
      return { outcome: 'dismissed' };
    }
    const message = await this.em.findOne(Message, messageId, { fields: ['status', 'dismissAt'] });
    if (message?.status === 'delivered') return { outcome: 'not_due', dismissAt: message.dismissAt?.toISOString() ?? null };
    return { outcome: 'gone' };
  }

  /** How a scheduled message reads on one channel, for the Deliverer. */
  async render(delivery: Delivery): Promise<RenderedDelivery> {
    const message = await this.em.findOneOrFail(Message, delivery.subjectId, { populate: ['recipient', 'organization'] });
    return {
      notification: this.renderer.render({
        mode: message.organization.notificationMode,
        channel: delivery.channel,
        organizationName: message.organization.name,
        recipientName: message.recipient.name,
        title: message.title,
        body: message.body,
        url: `${this.config.appUrl}/messages/${message.id}`,
      }),
    };
  }
}
