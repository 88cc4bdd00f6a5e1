import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Organization } from '../organizations/organization.entity.js';

/** A consultant's client; names may repeat (two clients can share a name), ids never do. */
@Entity({ tableName: 'client_account' })
@Index({ properties: ['organization', 'name'] })
export class ClientAccount {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @Property({ type: 'text' })
  name: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
