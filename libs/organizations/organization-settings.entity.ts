import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Team } from '../teams/team.entity.js';
import { User } from '../users/user.entity.js';
import { Organization } from './organization.entity.js';

// The organisation's id lists are rows, not arrays, so a deleted user or team leaves none behind.

/** Staff a contact may message (with the teams below); ignored while contacts may message only their coordinator. */
@Entity({ tableName: 'contact_messaging_staff' })
@Index({ properties: ['user'] })
export class ContactMessagingStaff {
  [PrimaryKeyProp]?: ['organization', 'user'];

  @ManyToOne(() => Organization, { primary: true, fieldName: 'organization_id' })
  organization: Organization;

  @ManyToOne(() => User, { primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user: User;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** Teams a contact may message. */
@Entity({ tableName: 'contact_messaging_team' })
@Index({ properties: ['team'] })
export class ContactMessagingTeam {
  [PrimaryKeyProp]?: ['organization', 'team'];

  @ManyToOne(() => Organization, { primary: true, fieldName: 'organization_id' })
  organization: Organization;

  @ManyToOne(() => Team, { primary: true, fieldName: 'team_id', deleteRule: 'cascade' })
  team: Team;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** Users told when a recipient reads a message. */
@Entity({ tableName: 'read_notification_recipient' })
@Index({ properties: ['user'] })
export class ReadNotificationRecipient {
  [PrimaryKeyProp]?: ['organization', 'user'];

  @ManyToOne(() => Organization, { primary: true, fieldName: 'organization_id' })
  organization: Organization;

  @ManyToOne(() => User, { primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user: User;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
