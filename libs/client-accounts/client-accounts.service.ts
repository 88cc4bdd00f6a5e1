import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';
import { ClientAccountAccess } from './client-account-access.entity.js';
import { CreateClientAccountDto, GrantClientAccountAccessDto } from './client-account.dto.js';
import { ClientAccount } from './client-account.entity.js';

/** Only admins see who has access: a member must not learn who else is on the account. */
export interface ClientAccountView {
  id: string;
  name: string;
  createdAt: Date;
  userIds?: string[];
}

@Injectable()
export class ClientAccountsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async list(caller: AuthUser): Promise<ClientAccountView[]> {
    const orderBy = { name: 'asc', id: 'asc' } as const;
    if (caller.role !== 'admin') {
      const accounts = await this.em.find(
        ClientAccount,
        { organization: caller.organizationId, id: { $in: await this.accountIdsOf(caller.id) } },
        { orderBy, limit: 1000 },
      );
      return accounts.map((account) => toClientAccountView(account));
    }
    const accounts = await this.em.find(ClientAccount, { organization: caller.organizationId }, { orderBy, limit: 1000 });
    const grants = await this.em.find(
      ClientAccountAccess,
      { clientAccount: { $in: accounts.map((a) => a.id) } },
      { orderBy: { createdAt: 'asc', user: 'asc' } },
    );
    return accounts.map((account) =>
      toClientAccountView(
        account,
        grants.filter((g) => g.clientAccount.id === account.id),
      ),
    );
  }

  async create(caller: AuthUser, dto: CreateClientAccountDto): Promise<ClientAccountView> {
    const account = Object.assign(new ClientAccount(), { organization: this.em.getReference(Organization, caller.organizationId), name: dto.name });
    await this.em.transactional(async (em) => {
      em.persist(account);
      await em.flush();
      await this.audit.recordBy(caller, 'client_account.created', 'client_account', account.id);
    });
    return toClientAccountView(account, []);
  }

  /** Granting access someone already has changes nothing and answers the same. */
  async grant(caller: AuthUser, clientAccountId: string, dto: GrantClientAccountAccessDto): Promise<ClientAccountView> {
    const account = await this.find(caller.organizationId, clientAccountId);
    const user = await this.em.findOne(User, { id: dto.userId, organization: caller.organizationId });
    if (!user) throw fieldError('userId', 'is not a user of your organization', 422);
    await this.em.transactional(async (em) => {
      const granted = await em
        .createQueryBuilder(ClientAccountAccess)
        .insert({ ...new ClientAccountAccess(), clientAccount: account.id, user: user.id })
        .onConflict(['clientAccount', 'user'])
        .ignore()
        .execute('run');
      if (granted.affectedRows) await this.audit.recordBy(caller, 'client_account.access_granted', 'client_account', account.id, { userId: user.id });
    });
    return toClientAccountView(account, await this.em.find(ClientAccountAccess, { clientAccount: account.id }, { orderBy: { createdAt: 'asc', user: 'asc' } }));
  }

  /**
   * Access revoked is access gone: the user also leaves every conversation about the account, as if they had left
   * it themselves (their messages stay; the conversations leave their list and tell them nothing more), audited on
   * each conversation.
   */
  async revoke(caller: AuthUser, clientAccountId: string, userId: string): Promise<void> {
    const account = await this.find(caller.organizationId, clientAccountId);
    await this.em.transactional(async (em) => {
      const revoked = await em.nativeDelete(ClientAccountAccess, { clientAccount: account.id, user: userId });
      if (!revoked) return;
      await this.audit.recordBy(caller, 'client_account.access_revoked', 'client_account', account.id, { userId });
      const removed = await em.execute<Array<{ conversation_id: string }>>(
        `update conversation_participant p set left_at = now()
           from conversation c
          where c.id = p.conversation_id and c.organization_id = ? and c.client_account_id = ? and p.user_id = ? and p.left_at is null
         returning p.conversation_id`,
        [caller.organizationId, account.id, userId],
      );
      for (const { conversation_id } of removed) {
        await this.audit.recordBy(caller, 'conversation.participant_removed', 'conversation', conversation_id, {
          userId,
          reason: 'client_account_access_revoked',
        });
      }
    });
  }

  /**
   * Users granted access to the account, whatever their role. Admins are not included unless granted:
   * that they see every account is a rule of the listing, for callers to apply as they see fit.
   * Another organisation's account has no one.
   */
  async usersWithAccess(organizationId: string, clientAccountId: string): Promise<Set<string>> {
    const grants = await this.em.find(ClientAccountAccess, { clientAccount: { id: clientAccountId, organization: organizationId } });
    return new Set(grants.map((grant) => grant.user.id));
  }

  /** Whether the user was granted access to the account (see usersWithAccess about admins). */
  async hasAccess(organizationId: string, clientAccountId: string, userId: string): Promise<boolean> {
    return (await this.em.count(ClientAccountAccess, { clientAccount: { id: clientAccountId, organization: organizationId }, user: userId })) > 0;
  }

  /**
   * The active users with access to an account, for staff composing about it. Staff see only accounts granted to
   * them (another's is not found, as in the list); members never ask (they would learn who else is on the account).
   */
  async addressableUsers(caller: AuthUser, id: string): Promise<{ items: Array<{ id: string; name: string; role: User['role'] }> }> {
    const account = await this.find(caller.organizationId, id);
    if (caller.role !== 'admin' && !(await this.accountIdsOf(caller.id)).includes(account.id)) throw new NotFoundException('client account not found');
    const grants = await this.em.find(
      ClientAccountAccess,
      { clientAccount: account.id, user: { status: 'active' } },
      { populate: ['user'], orderBy: { user: { name: 'asc', id: 'asc' } } },
    );
    return { items: grants.map(({ user }) => ({ id: user.id, name: user.name, role: user.role })) };
  }

  private async accountIdsOf(userId: string): Promise<string[]> {
    return (await this.em.find(ClientAccountAccess, { user: userId })).map((grant) => grant.clientAccount.id);
  }

  private async find(organizationId: string, id: string): Promise<ClientAccount> {
    const account = await this.em.findOne(ClientAccount, { id, organization: organizationId });
    if (!account) throw new NotFoundException('client account not found');
    return account;
  }
}

const toClientAccountView = (account: ClientAccount, grants?: ClientAccountAccess[]): ClientAccountView => ({
  id: account.id,
  name: account.name,
  createdAt: account.createdAt,
  ...(grants ? { userIds: grants.map((grant) => grant.user.id) } : {}),
});
