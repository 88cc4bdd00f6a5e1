import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';
import { ClientAccount } from './client-account.entity.js';

/** A grant: this user, staff or member, may see this client account. */
@Entity({ tableName: 'client_account_access' })
@Index({ properties: ['user'] })
export class ClientAccountAccess {
  [PrimaryKeyProp]?: ['clientAccount', 'user'];

  @ManyToOne(() => ClientAccount, { primary: true, fieldName: 'client_account_id', deleteRule: 'cascade' })
  clientAccount: ClientAccount;

  @ManyToOne(() => User, { primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user: User;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
