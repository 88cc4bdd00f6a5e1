import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ProviderChannel } from '../channels/channel.js';
import { NotificationRenderer } from '../channels/notification-renderer.js';
import { attemptDelivery } from '../channels/delivery-attempt.js';
import { NotificationSender, type SendOutcome } from '../channels/notification-sender.js';
import type { NotificationPurpose } from '../channels/notification-templates.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { TidingsMetrics } from '../metrics/tidings-metrics.js';
import { ReadNotificationRecipient } from '../organizations/organization-settings.entity.js';
import { PushSubscription } from '../push-subscriptions/push-subscription.entity.js';
import { User } from '../users/user.entity.js';
import { ConversationNotification } from './conversation-notification.entity.js';
import type { ConversationNotificationKind, NotificationKey, NotificationPlan, NotificationTarget } from '../../workflows/conversation-message.contract.js';
import { visibleMessageSql } from './conversation-visibility.js';
import { ConversationMessage, ConversationParticipant } from './conversation.entity.js';
import { ReplyAddresses } from './reply-address.js';

const PURPOSE: Record<ConversationNotificationKind, NotificationPurpose> = { new_message: 'message', unread_reminder: 'reminder', read_receipt: 'read_receipt' };

/**
 * Who hears about a conversation message, and the sending of each notification. Every method is safe to
 * repeat: a notification recorded as sent is not sent again, so Temporal may retry after any crash.
 */
@Injectable()
export class ConversationNotificationsService {
  private readonly logger = new Logger(ConversationNotificationsService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly renderer: NotificationRenderer,
    private readonly sender: NotificationSender,
    private readonly replyAddresses: ReplyAddresses,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: TidingsMetrics,
  ) {}

  /** Everyone still in the conversation who may see the message, except its author; null if there is no such message. */
  async plan(messageId: string): Promise<NotificationPlan | null> {
    const message = await this.em.findOne(ConversationMessage, messageId, { populate: ['conversation.organization'] });
    if (!message) return null;
    const rows = await this.em.execute<Array<{ user_id: string }>>(
      `select p.user_id from conversation_participant p
         join app_user u on u.id = p.user_id
         join conversation_message m on m.id = ?
        where p.conversation_id = m.conversation_id and p.left_at is null and p.user_id <> m.author_id
          and ${visibleMessageSql('m', 'p', 'u')}
        order by p.added_at, p.user_id`,
      [messageId],
    );
    const minutes = message.conversation.organization.unreadReminderMinutes;
    return {
      recipients: await this.withChannels(rows.map((row) => row.user_id), ['email', 'push', 'sms']),
      reminderAfterMs: minutes > 0 ? minutes * 60_000 : null,
      readReceipt: message.readReceipt,
    };
  }

  /** Of these recipients, those still in the conversation who have not read the message. */
  async unreadRecipients(messageId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.em.execute<Array<{ user_id: string }>>(
      `select p.user_id from conversation_participant p join conversation_message m on m.id = ?
        where p.conversation_id = m.conversation_id and p.user_id in (${userIds.map(() => '?').join(', ')})
          and p.left_at is null and (p.last_read_at is null or p.last_read_at < m.created_at)
        order by p.added_at, p.user_id`,
      [messageId, ...userIds],
    );
    return rows.map((row) => row.user_id);
  }

  /**
   * Who hears that `readerId` read the message: its author, and the organisation's read-notification users
   * who are in the conversation themselves (a receipt must not tell anyone about a conversation they are not in).
   */
  async planReadNotice(messageId: string, readerId: string): Promise<NotificationTarget[]> {
    const message = await this.em.findOne(ConversationMessage, messageId, { populate: ['conversation'] });
    if (!message) return [];
    const named = await this.em.find(ReadNotificationRecipient, { organization: message.conversation.organization.id });
    const candidates = [...new Set([message.author.id, ...named.map((row) => row.user.id)])].filter((id) => id !== readerId);
    if (candidates.length === 0) return [];
    const present = await this.em.find(ConversationParticipant, { conversation: message.conversation.id, user: { $in: candidates }, leftAt: null });
    const ids = candidates.filter((id) => present.some((participant) => participant.user.id === id));
    return this.withChannels(ids, ['email', 'push']);
  }

  async send(key: NotificationKey): Promise<'sent' | 'skipped'> {
    const notification = await this.findOrCreate(key);
    if (notification.status === 'sent' || notification.status === 'skipped') return notification.status;
    return attemptDelivery(this.em, notification, () => this.renderAndSend(key), this.logger, `conversation message ${key.messageId} ${key.kind} ${key.channel}`, this.metrics);
  }

  /** Renders the notification for its recipient and sends it; someone who has left gets nothing. */
  private async renderAndSend(key: NotificationKey): Promise<SendOutcome> {
    const message = await this.em.findOneOrFail(ConversationMessage, key.messageId, { populate: ['conversation.organization', 'author'] });
    const conversation = message.conversation;
    const participant = await this.em.findOne(ConversationParticipant, { conversation: conversation.id, user: key.userId, leftAt: null });
    if (!participant) return { status: 'skipped', reason: 'no longer in the conversation' };
    const recipient = await this.em.findOneOrFail(User, key.userId);
    const reader = key.kind === 'read_receipt' ? await this.em.findOneOrFail(User, key.aboutUserId) : null;
    const organization = conversation.organization;
    const rendered = this.renderer.render({
      purpose: PURPOSE[key.kind],
      mode: organization.notificationMode,
      channel: key.channel,
      organizationName: organization.name,
      recipientName: recipient.name,
      title: conversation.subject,
      body: reader
        ? `${reader.name} read ${message.author.id === recipient.id ? 'your message' : `the message from ${message.author.name}`}.`
        : `${message.author.name} wrote:\n\n${message.bodyText}`,
      url: `${this.config.appUrl}/conversations/${conversation.id}`,
    });
    if (key.channel !== 'email') return this.sender.send(key.channel, recipient, rendered);
    const threadId = this.replyAddresses.threadIdFor(conversation.id);
    return this.sender.send(key.channel, recipient, rendered, {
      messageId: this.replyAddresses.messageIdFor(`${message.id}.${key.kind}.${key.aboutUserId}`, recipient.id),
      inReplyTo: threadId,
      references: [threadId],
      // Only convenience mode invites answers by email: privacy mode keeps every word inside the platform.
      ...(organization.notificationMode === 'convenience' && !reader ? { replyTo: this.replyAddresses.addressFor(conversation.id, recipient.id) } : {}),
    });
  }

  /** Called once a notification has failed for good (a permanent refusal or retries exhausted). */
  async recordFailure(key: NotificationKey, reason: string): Promise<void> {
    await this.em.nativeUpdate(
      ConversationNotification,
      { message: key.messageId, user: key.userId, channel: key.channel, kind: key.kind, aboutUserId: key.aboutUserId, status: { $ne: 'sent' } },
      { status: 'failed', lastError: reason.slice(0, 500) },
    );
  }

  private async findOrCreate(key: NotificationKey): Promise<ConversationNotification> {
    await this.em.createQueryBuilder(ConversationNotification)
      .insert({ ...new ConversationNotification(), message: key.messageId, user: key.userId, channel: key.channel, kind: key.kind, aboutUserId: key.aboutUserId })
      .onConflict(['message', 'user', 'channel', 'kind', 'aboutUserId'])
      .ignore()
      .execute('run');
    return this.em.findOneOrFail(ConversationNotification, { message: key.messageId, user: key.userId, channel: key.channel, kind: key.kind, aboutUserId: key.aboutUserId });
  }

  /** The channels each user can receive: email always, SMS with a phone number, push with a subscription. */
  private async withChannels(userIds: string[], wanted: ProviderChannel[]): Promise<NotificationTarget[]> {
    if (userIds.length === 0) return [];
    const users = await this.em.find(User, { id: { $in: userIds } }, { fields: ['id', 'phone'] });
    const subscribed = new Set((await this.em.find(PushSubscription, { user: { $in: userIds } }, { fields: ['user'] })).map((row) => row.user.id));
    return userIds.map((userId) => {
      const user = users.find((candidate) => candidate.id === userId);
      const channels = wanted.filter((channel) => channel === 'email' || (channel === 'sms' ? Boolean(user?.phone) : subscribed.has(userId)));
      return { userId, channels };
    });
  }
}

