import type { EntityManager } from '@mikro-orm/postgresql';
import type { ProviderChannel } from '../channels/channel.js';

/** How one user can be reached on one channel: the targets to send to, or why not at all. */
export type Reach = { targets: string[] } | { skip: string };

/**
 * The one place that decides which channels a user can be reached on: email always (every user has an
 * address), SMS with a phone number, push on each of their push subscriptions.
 */
export async function reachOf(
  em: EntityManager,
  userIds: readonly string[],
  channels: readonly ProviderChannel[],
): Promise<Map<string, Map<ProviderChannel, Reach>>> {
  const reach = new Map<string, Map<ProviderChannel, Reach>>();
  if (userIds.length === 0) return reach;
  const placeholders = userIds.map(() => '?').join(', ');
  const phones = new Map(
    (
      await em.execute<Array<{ id: string; has_phone: boolean }>>(`select id, phone is not null as has_phone from app_user where id in (${placeholders})`, [
        ...userIds,
      ])
    ).map((row) => [row.id, row.has_phone]),
  );
  const subscriptions = new Map<string, string[]>();
  if (channels.includes('push')) {
    const rows = await em.execute<Array<{ id: string; user_id: string }>>(
      `select id, user_id from push_subscription where user_id in (${placeholders}) order by created_at, id`,
      [...userIds],
    );
    for (const row of rows) subscriptions.set(row.user_id, [...(subscriptions.get(row.user_id) ?? []), row.id]);
  }
  for (const userId of userIds) {
    const byChannel = new Map<ProviderChannel, Reach>();
    for (const channel of channels) {
      if (channel === 'email') byChannel.set(channel, { targets: [''] });
      else if (channel === 'sms') byChannel.set(channel, phones.get(userId) ? { targets: [''] } : { skip: 'recipient has no phone number' });
      else {
        const ids = subscriptions.get(userId) ?? [];
        byChannel.set(channel, ids.length ? { targets: ids } : { skip: 'recipient has no push subscription' });
      }
    }
    reach.set(userId, byChannel);
  }
  return reach;
}
