import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Organization } from '../organizations/organization.entity.js';

/** Why a member asks for a chat, from the organisation's list. Requests keep the label they were made with. */
@Entity({ tableName: 'chat_request_reason' })
@Index({ properties: ['organization', 'createdAt'] })
export class ChatRequestReason {
  @PrimaryKey({ type: 'uuid' })
  id: string = crypto.randomUUID();

  @ManyToOne(() => Organization, { fieldName: 'organization_id' })
  organization: Organization;

  @Property({ type: 'text' })
  label: string;

  /** Inactive reasons cannot be chosen any more. */
  @Property({ type: 'boolean', default: true })
  active: boolean = true;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
