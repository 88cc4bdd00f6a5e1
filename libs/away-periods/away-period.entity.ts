import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

/** A care manager away from `startsAt` until `endsAt`, and who covers their queue meanwhile. */
@Entity({ tableName: 'away_period' })
@Index({ properties: ['user', 'endsAt'] })
export class AwayPeriod {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @ManyToOne(() => User, { fieldName: 'user_id', deleteRule: 'cascade' })
  user: User;

  @ManyToOne(() => User, { fieldName: 'covered_by_id', deleteRule: 'cascade' })
  coveredBy: User;

  @Property({ type: 'timestamptz' })
  startsAt: Date;

  @Property({ type: 'timestamptz' })
  endsAt: Date;

  @ManyToOne(() => User, { fieldName: 'created_by_id' })
  createdBy: User;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
