import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Inject, Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { checkPushEndpoint, PushEndpointRefused } from '../channels/push-endpoint.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { fieldError } from '../http/api-error.filter.js';
import { CreatePushSubscriptionDto } from './push-subscription.dto.js';
import { PushSubscription } from './push-subscription.entity.js';

/** One browser or device per subscription; more than this per user is refused (409). */
export const MAX_PUSH_SUBSCRIPTIONS_PER_USER = 10;

export interface PushSubscriptionView {
  id: string;
  endpoint: string;
  createdAt: Date;
}

@Injectable()
export class PushSubscriptionsService {
  constructor(
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores the caller's subscription. The endpoint must be an https URL whose host resolves only to public
   * addresses (422 naming `endpoint` otherwise). One endpoint is one browser profile and belongs to one
   * user: the same user subscribing it again updates their keys (same id), another user gets 409 and
   * nothing changes. A user has at most MAX_PUSH_SUBSCRIPTIONS_PER_USER (409 beyond).
   */
  async subscribe(caller: AuthUser, dto: CreatePushSubscriptionDto): Promise<PushSubscriptionView> {
    await this.checkEndpoint(dto.endpoint);
    return this.em.transactional(async (em) => {
      // One user's subscribes queue here, so two at once cannot both take the last place. NO KEY UPDATE
      // does not hold up other rows' foreign keys to the user, as FOR UPDATE would.
      await em.execute(`select 1 from app_user where id = ? for no key update`, [caller.id]);
      const [existing] = await em.execute<Array<{ id: string; user_id: string; created_at: Date }>>(
        `select id, user_id, created_at from push_subscription where endpoint = ?`,
        [dto.endpoint],
      );
      if (existing && existing.user_id !== caller.id) throw endpointTaken();
      if (existing) {
        await em.execute(`update push_subscription set p256dh = ?, auth = ? where id = ?`, [dto.keys.p256dh, dto.keys.auth, existing.id]);
        return { id: existing.id, endpoint: dto.endpoint, createdAt: new Date(existing.created_at) };
      }
      const [{ count }] = await em.execute<Array<{ count: number }>>(`select count(*)::int as count from push_subscription where user_id = ?`, [caller.id]);
      if (count >= MAX_PUSH_SUBSCRIPTIONS_PER_USER) {
        throw new ConflictException(
          `a user may have at most ${MAX_PUSH_SUBSCRIPTIONS_PER_USER} push subscriptions; remove one (DELETE /v1/me/push-subscriptions?endpoint=…) first`,
        );
      }
      // Another user may have stored the same endpoint since the look-up above (their lock is not ours):
      // the unique endpoint decides, and the loser gets the same 409.
      const [inserted] = await em.execute<Array<{ id: string; created_at: Date }>>(
        `insert into push_subscription (id, user_id, endpoint, p256dh, auth, created_at) values (?, ?, ?, ?, ?, now())
           on conflict (endpoint) do nothing returning id, created_at`,
        [crypto.randomUUID(), caller.id, dto.endpoint, dto.keys.p256dh, dto.keys.auth],
      );
      if (!inserted) throw endpointTaken();
      return { id: inserted.id, endpoint: dto.endpoint, createdAt: new Date(inserted.created_at) };
    });
  }

  async unsubscribe(caller: AuthUser, endpoint: string): Promise<void> {
    await this.em.nativeDelete(PushSubscription, { user: caller.id, endpoint });
  }

  private async checkEndpoint(endpoint: string): Promise<void> {
    try {
      await checkPushEndpoint(endpoint, { allowPrivateHosts: this.config.push.allowPrivateHosts });
    } catch (error) {
      if (error instanceof PushEndpointRefused) throw fieldError('endpoint', error.reason, 422);
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') throw fieldError('endpoint', `host could not be resolved (${code})`, 422);
      throw error;
    }
  }
}

function endpointTaken() {
  return fieldError('endpoint', 'is already registered to another user; the browser must unsubscribe it before another user subscribes', 409);
}
