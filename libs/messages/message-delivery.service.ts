import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { Channel, ProviderChannel } from '../channels/channel.js';
import type { ChannelOutcome, ClaimResult, DismissResult } from '../../workflows/scheduled-message.contract.js';
import { NotificationRenderer } from '../channels/notification-renderer.js';
import { attemptDelivery } from '../channels/delivery-attempt.js';
import { NotificationSender, type SendOutcome } from '../channels/notification-sender.js';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { TidingsMetrics } from '../metrics/tidings-metrics.js';
import { MessageDelivery } from './message-delivery.entity.js';
import { Message } from './message.entity.js';

/** `missing`: no such message at all. */
export type ClaimAttempt = ClaimResult | { outcome: 'missing' };

/**
 * Delivers a due message, channel by channel. Each method is safe to run again: a delivery already
 * recorded as sent is not sent twice, so Temporal may retry any of them after a crash.
 */
@Injectable()
export class MessageDeliveryService {
  private readonly logger = new Logger(MessageDeliveryService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly renderer: NotificationRenderer,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sender: NotificationSender,
    private readonly metrics: TidingsMetrics,
  ) {}

  /**
   * Records that a due message was delivered: moves it from scheduled to delivered and marks its
   * message-center delivery sent at the instant it entered the message center (the inbox query showed it
   * from deliverAt on). Loses to a cancel or a move to a later time that reached the database first.
   */
  async claim(messageId: string): Promise<ClaimAttempt> {
    const rows: Array<Pick<Message, 'channels'> & { dismiss_at: Date | null }> = await this.em.getConnection().execute(
      `with claimed as (
         update message
            set status = case when removed_at is null then 'delivered' else 'dismissed' end,
                delivered_at = greatest(deliver_at, created_at)
          where id = ? and status = 'scheduled' and deliver_at <= now() + interval '50 milliseconds'
          returning id, channels, dismiss_at, delivered_at
       ), in_message_center as (
         update message_delivery set status = 'sent', sent_at = claimed.delivered_at, attempts = attempts + 1
           from claimed where message_delivery.message_id = claimed.id
            and message_delivery.channel = 'message_center' and message_delivery.status = 'pending'
       )
       select channels, dismiss_at from claimed`,
      [messageId],
    );
    if (rows.length === 1) {
      return { outcome: 'claimed', channels: rows[0].channels, dismissAt: rows[0].dismiss_at?.toISOString() ?? null };
    }
    const message = await this.em.findOne(Message, messageId, { fields: ['status', 'deliverAt', 'channels', 'dismissAt'] });
    if (!message) return { outcome: 'missing' };
    if (message.status === 'cancelled') return { outcome: 'gone' };
    if (message.status === 'scheduled') return { outcome: 'not_due', deliverAt: message.deliverAt.toISOString() };
    // Claimed by an earlier attempt whose answer was lost: carry on delivering.
    return { outcome: 'claimed', channels: message.channels, dismissAt: message.dismissAt?.toISOString() ?? null };
  }

  /** Sends on one provider channel (email, SMS, push); the message center is filled by claim(). */
  async deliver(messageId: string, channel: ProviderChannel): Promise<ChannelOutcome> {
    const delivery = await this.em.findOneOrFail(
      MessageDelivery,
      { message: messageId, channel },
      { populate: ['message', 'message.recipient', 'message.organization'] },
    );
    if (delivery.status === 'sent' || delivery.status === 'skipped') return delivery.status;
    const message = delivery.message;
    const outcome = await attemptDelivery(this.em, delivery, () => this.sendOn(channel, message), this.logger, `message ${messageId} ${channel}`, this.metrics);
    if (outcome === 'sent') this.metrics.observeDeliveryLag(channel, (delivery.sentAt!.getTime() - message.deliverAt.getTime()) / 1000);
    return outcome;
  }

  /** Called once a channel has failed for good (a permanent refusal or retries exhausted). */
  async recordFailure(messageId: string, channel: Channel, reason: string): Promise<void> {
    await this.em.nativeUpdate(
      MessageDelivery,
      { message: messageId, channel, status: { $ne: 'sent' } },
      { status: 'failed', lastError: reason.slice(0, 500) },
    );
  }

  /** A message whose every channel failed is `failed`; one that reached the recipient anywhere stays `delivered`. */
  async finish(messageId: string): Promise<'delivered' | 'failed'> {
    const deliveries = await this.em.find(MessageDelivery, { message: messageId }, { fields: ['status'] });
    const failed = deliveries.length > 0 && deliveries.every((d) => d.status === 'failed');
    if (failed) {
      await this.em.nativeUpdate(Message, { id: messageId, status: 'delivered' }, { status: 'failed' });
    }
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
      await this.audit.record({ organizationId: rows[0].organization_id, actorId: null, action: 'message.dismissed', subjectType: 'message', subjectId: messageId });
      return { outcome: 'dismissed' };
    }
    const message = await this.em.findOne(Message, messageId, { fields: ['status', 'dismissAt'] });
    if (message?.status === 'delivered') return { outcome: 'not_due', dismissAt: message.dismissAt?.toISOString() ?? null };
    return { outcome: 'gone' };
  }

  private sendOn(channel: ProviderChannel, message: Message): Promise<SendOutcome> {
    const notification = this.renderer.render({
      mode: message.organization.notificationMode,
      channel,
      organizationName: message.organization.name,
      recipientName: message.recipient.name,
      title: message.title,
      body: message.body,
      url: `${this.config.appUrl}/messages/${message.id}`,
    });
    return this.sender.send(channel, message.recipient, notification);
  }
}

