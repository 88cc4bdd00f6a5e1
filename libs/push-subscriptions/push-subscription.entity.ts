import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';

/** A browser's Web Push subscription; one user may have several (one per browser or device). */
@Entity({ tableName: 'push_subscription' })
@Index({ properties: ['user'] })
export class PushSubscription {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => User, { fieldName: 'user_id', deleteRule: 'cascade' })
  user: User;

  @Property({ type: 'text', unique: true })
  endpoint: string;

  @Property({ type: 'text' })
  p256dh: string;

  @Property({ type: 'text' })
  auth: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
