import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Failed logins, kept in the database so the limit holds across every API instance. */
@Entity({ tableName: 'login_attempt' })
@Index({ properties: ['email', 'attemptedAt'] })
@Index({ properties: ['ip', 'attemptedAt'] })
export class LoginAttempt {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @Property({ type: 'text' })
  email: string;

  @Property({ type: 'text' })
  ip: string;

  @Property({ type: 'timestamptz' })
  attemptedAt: Date = new Date();
}
