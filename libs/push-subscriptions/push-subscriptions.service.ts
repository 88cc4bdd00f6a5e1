import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { CreatePushSubscriptionDto } from './push-subscription.dto.js';
import { PushSubscription } from './push-subscription.entity.js';

@Injectable()
export class PushSubscriptionsService {
  constructor(private readonly em: EntityManager) {}

  /** One endpoint is one browser profile: subscribing again, or as someone else, replaces the old row. */
  async subscribe(caller: AuthUser, dto: CreatePushSubscriptionDto) {
    const subscription = await this.em.upsert(
      PushSubscription,
      { ...new PushSubscription(), user: caller.id, endpoint: dto.endpoint, p256dh: dto.keys.p256dh, auth: dto.keys.auth },
      { onConflictFields: ['endpoint'], onConflictMergeFields: ['user', 'p256dh', 'auth'] },
    );
    return { id: subscription.id, endpoint: subscription.endpoint, createdAt: subscription.createdAt };
  }

  async unsubscribe(caller: AuthUser, endpoint: string): Promise<void> {
    await this.em.nativeDelete(PushSubscription, { user: caller.id, endpoint });
  }
}
