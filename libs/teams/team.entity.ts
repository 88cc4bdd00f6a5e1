import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Organization } from '../organizations/organization.entity.js';

/** A named group of staff, so work can go to a team rather than to one person. */
@Entity({ tableName: 'team' })
@Unique({ properties: ['organization', 'name'] })
export class Team {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @Property({ type: 'text' })
  name: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
