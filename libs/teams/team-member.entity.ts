import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';
import { Team } from './team.entity.js';

/** Only staff and admins belong to teams; the service checks the role, the keys keep a member in a team once. */
@Entity({ tableName: 'team_member' })
@Index({ properties: ['user'] })
export class TeamMember {
  [PrimaryKeyProp]?: ['team', 'user'];

  @ManyToOne(() => Team, { primary: true, fieldName: 'team_id', deleteRule: 'cascade' })
  team: Team;

  @ManyToOne(() => User, { primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user: User;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
