import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type {
  ConversationNotificationKind,
  NotificationKey,
  NotificationPlan,
  NotificationTarget,
  PlannedNotifications,
} from '../../workflows/conversation-message.contract.js';
import type { DeliveryTarget } from '../../workflows/delivery-policy.js';
import type { ProviderChannel } from '../channels/channel.js';
import { NotificationRenderer } from '../channels/notification-renderer.js';
import type { NotificationPurpose } from '../channels/notification-templates.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Deliverer, type DeliveryContent, type RenderedDelivery } from '../delivery/deliverer.js';
import { DeliveryLedger } from '../delivery/delivery-ledger.js';
import { Delivery } from '../delivery/delivery.entity.js';
import { reachOf } from '../delivery/reachability.js';
import { ReadNotificationRecipient } from '../organizations/organization-settings.entity.js';
import { User } from '../users/user.entity.js';
import { canSeeMessage, canSeeParticipant, isStaff, visibleMessageSql } from './conversation-visibility.js';
import { ConversationMessage, ConversationParticipant } from './conversation.entity.js';
import { ReplyAddresses } from './reply-address.js';

const PURPOSE: Record<ConversationNotificationKind, NotificationPurpose> = {
  new_message: 'message',
  unread_reminder: 'reminder',
  read_receipt: 'read_receipt',
};

/** Channels per kind: a read receipt is not worth a text message. */
const CHANNELS_OF: Record<ConversationNotificationKind, ProviderChannel[]> = {
  new_message: ['email', 'push', 'sms'],
  unread_reminder: ['email', 'push', 'sms'],
  read_receipt: ['email', 'push'],
};

/**
 * Who hears about a conversation message, on which channels, and how each notification reads. The sends
 * themselves go through the delivery ledger and the Deliverer, so every step is safe to repeat.
 */
@Injectable()
export class ConversationNotificationsService implements DeliveryContent, OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly renderer: NotificationRenderer,
    private readonly replyAddresses: ReplyAddresses,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: DeliveryLedger,
    private readonly deliverer: Deliverer,
  ) {}

  onModuleInit(): void {
    this.deliverer.register('conversation_message', this);
  }

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
      recipients: await this.withChannels(
        rows.map((row) => row.user_id),
        CHANNELS_OF.new_message,
      ),
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
          and p.left_at is null and p.last_read_seq < m.seq
        order by p.added_at, p.user_id`,
      [messageId, ...userIds],
    );
    return rows.map((row) => row.user_id);
  }

  /**
   * Who hears that `readerId` read the message: its author, and the organisation's read-notification users (staff
   * and admins only) — each only while in the conversation (a receipt must not tell anyone about a conversation they
   * are not in), only about a message they may see, and only about a reader they may see: a blind-copied contact's
   * reading is never named to another contact.
   */
  async planReadNotice(messageId: string, readerId: string): Promise<NotificationTarget[]> {
    const message = await this.em.findOne(ConversationMessage, messageId, { populate: ['conversation'] });
    if (!message) return [];
    const named = await this.em.find(ReadNotificationRecipient, { organization: message.conversation.organization.id }, { populate: ['user'] });
    const namedStaff = named.filter((row) => isStaff(row.user.role)).map((row) => row.user.id);
    const candidates = [...new Set([message.author.id, ...namedStaff])].filter((id) => id !== readerId);
    if (candidates.length === 0) return [];
    const present = await this.em.find(
      ConversationParticipant,
      { conversation: message.conversation.id, user: { $in: [...candidates, readerId] }, leftAt: null },
      { populate: ['user'] },
    );
    const reader = present.find((participant) => participant.user.id === readerId);
    if (!reader) return [];
    const ids = candidates.filter((id) => {
      const participant = present.find((p) => p.user.id === id);
      return participant !== undefined && mayHearOfRead(participant, message, reader);
    });
    return this.withChannels(ids, CHANNELS_OF.read_receipt);
  }

  /** The ledger rows for one kind of notification to these users (one per push subscription); returns those to send. */
  async planDeliveries(planned: PlannedNotifications): Promise<DeliveryTarget[]> {
    const message = await this.em.findOne(ConversationMessage, planned.messageId, { populate: ['conversation'] });
    if (!message) return [];
    return this.ledger.plan({
      subject: { type: 'conversation_message', id: message.id, organizationId: message.conversation.organization.id, dueAt: message.createdAt },
      kind: planned.kind,
      recipientIds: planned.userIds,
      channels: planned.channels ?? CHANNELS_OF[planned.kind],
      aboutUserId: planned.aboutUserId,
      // Everyone hears on the channels they can receive; the others are not sends.
      unreachable: 'ignore',
    });
  }

  /** For workflows started before the ledger, which send one notification per activity: each of its targets through the ledger. */
  async send(key: NotificationKey): Promise<'sent' | 'skipped'> {
    const targets = await this.planDeliveries({
      messageId: key.messageId,
      kind: key.kind,
      userIds: [key.userId],
      channels: [key.channel],
      ...(key.kind === 'read_receipt' ? { aboutUserId: key.aboutUserId } : {}),
    });
    return this.deliverer.deliverEach(targets.map((target) => target.deliveryId));
  }

  /** A notification Temporal gave up on, for workflows started before the ledger. */
  async recordFailure(key: NotificationKey, reason: string): Promise<void> {
    const open = await this.em.find(
      Delivery,
      {
        subjectType: 'conversation_message',
        subjectId: key.messageId,
        recipientId: key.userId,
        channel: key.channel,
        kind: key.kind,
        aboutUserId: key.aboutUserId,
        status: { $in: ['pending', 'sending'] },
      },
      { fields: ['id'] },
    );
    await this.ledger.giveUp(
      open.map((delivery) => delivery.id),
      reason,
    );
  }

  /** How a notification about a conversation message reads; someone who has left gets nothing. */
  async render(delivery: Delivery): Promise<RenderedDelivery> {
    const message = await this.em.findOneOrFail(ConversationMessage, delivery.subjectId, { populate: ['conversation.organization', 'author'] });
    const conversation = message.conversation;
    const participant = await this.em.findOne(ConversationParticipant, { conversation: conversation.id, user: delivery.recipientId, leftAt: null });
    if (!participant) return { skip: 'no longer in the conversation' };
    const kind = delivery.kind as ConversationNotificationKind;
    const recipient = await this.em.findOneOrFail(User, delivery.recipientId);
    const reader = kind === 'read_receipt' ? await this.em.findOneOrFail(User, delivery.aboutUserId) : null;
    if (reader) {
      // Planned before the rules above (or before someone's place changed): checked again as it is sent.
      const readerPlace = await this.em.findOne(ConversationParticipant, { conversation: conversation.id, user: reader.id }, { populate: ['user'] });
      await this.em.populate(participant, ['user']);
      if (!readerPlace || !mayHearOfRead(participant, message, readerPlace)) return { skip: 'may not see who read it' };
    }
    const organization = conversation.organization;
    const notification = this.renderer.render({
      purpose: PURPOSE[kind],
      mode: organization.notificationMode,
      channel: delivery.channel,
      organizationName: organization.name,
      recipientName: recipient.name,
      title: conversation.subject,
      body: reader
        ? `${reader.name} read ${message.author.id === recipient.id ? 'your message' : `the message from ${message.author.name}`}.`
        : `${message.author.name} wrote:\n\n${message.bodyText}`,
      url: `${this.config.appUrl}/conversations/${conversation.id}`,
    });
    if (delivery.channel !== 'email') return { notification };
    const threadId = this.replyAddresses.threadIdFor(conversation.id);
    return {
      notification,
      threading: {
        messageId: this.replyAddresses.messageIdFor(`${message.id}.${kind}.${delivery.aboutUserId}`, recipient.id),
        inReplyTo: threadId,
        references: [threadId],
        // Only convenience mode invites answers by email: privacy mode keeps every word inside the platform.
        ...(organization.notificationMode === 'convenience' && !reader ? { replyTo: this.replyAddresses.addressFor(conversation.id, recipient.id) } : {}),
      },
    };
  }

  /** The channels each user can be reached on, decided where every send decides it (reachability.ts). */
  private async withChannels(userIds: string[], wanted: ProviderChannel[]): Promise<NotificationTarget[]> {
    const reach = await reachOf(this.em, userIds, wanted);
    return userIds.map((userId) => ({ userId, channels: wanted.filter((channel) => !('skip' in reach.get(userId)!.get(channel)!)) }));
  }
}

/** Whether `recipient` may be told that `reader` read `message`: they may see both the message and the reader. */
function mayHearOfRead(recipient: ConversationParticipant, message: ConversationMessage, reader: ConversationParticipant): boolean {
  const viewer = { userId: recipient.user.id, role: recipient.user.role, kind: recipient.kind };
  return (
    canSeeMessage(viewer, { authorId: message.author.id, authorKind: message.authorKind }) &&
    canSeeParticipant(viewer, { userId: reader.user.id, role: reader.user.role, kind: reader.kind })
  );
}
