import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Organization } from '../organizations/organization.entity.js';

/** A reply staff reuse; shared by the whole organisation, so its title is what they pick it by. */
@Entity({ tableName: 'canned_response' })
@Unique({ properties: ['organization', 'title'] })
export class CannedResponse {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @Property({ type: 'text' })
  title: string;

  /**
   * Rich text HTML, sanitized like a message body when it was written. Rows written before canned responses were
   * sanitized may hold what the author sent: a conversation started from one sanitizes it again.
   */
  @Property({ type: 'text' })
  body: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}
