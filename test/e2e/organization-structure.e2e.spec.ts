import { MikroORM } from '@mikro-orm/postgresql';
import { AuditService } from '../../libs/audit/audit.service.js';
import { ClientAccountsService } from '../../libs/client-accounts/client-accounts.service.js';
import { ormConfig } from '../../libs/database/orm-config.js';
import { DEFAULT_CHAT_REQUEST_SETTINGS } from '../../libs/organizations/organization.entity.js';
import { TeamsService } from '../../libs/teams/teams.service.js';
import { Api, createOrganization, eventually, fieldsOf, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { Platform } from '../support/platform.js';

type TestUser = { id: string; email: string; api: Api };

/** Teams, client accounts, coordinators, canned responses and the organisation's conversation settings. */
describe('organisation structure (end to end)', () => {
  let platform: Platform;
  let org: TestOrganization;
  let other: TestOrganization;
  let staff: TestUser;
  let secondStaff: TestUser;
  let member: TestUser;
  let secondMember: TestUser;
  let otherStaff: TestUser;
  let otherMember: TestUser;

  beforeAll(async () => {
    platform = await new Platform().start();
    [org, other] = await Promise.all([createOrganization(platform.baseUrl), createOrganization(platform.baseUrl)]);
    staff = await org.addUser('staff');
    secondStaff = await org.addUser('staff');
    member = await org.addUser('member');
    secondMember = await org.addUser('member');
    otherStaff = await other.addUser('staff');
    otherMember = await other.addUser('member');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const audit = (subjectId: string) =>
    platform.query<{ action: string; actor_id: string; details: Record<string, unknown> | null }>(
      "select action, actor_id, details from audit_event where subject_id = $1 and action not like 'auth.%' order by created_at",
      [subjectId],
    );

  describe('the directory', () => {
    test('lists people alphabetically a page at a time, filtered by role, status and words in the name or email', async () => {
      const directory = await createOrganization(platform.baseUrl);
      const admin = directory.admin;
      const names = ['carla Diaz', 'Ben Ode', 'Aki Sato', 'Dan Ek', 'ben Ode'];
      const made = [];
      for (const name of names) made.push(await directory.addUser('member', { name }));
      await directory.addUser('staff', { name: 'Bea Staff' });

      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { items: Array<{ name: string }>; nextCursor: string | null } } = await admin.get(
          `/v1/users?role=member&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        pages.push(page.body.items.map((u) => u.name));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(pages.flat().map((n) => n.toLowerCase())).toEqual(['aki sato', 'ben ode', 'ben ode', 'carla diaz', 'dan ek']);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);

      const found = await admin.get(`/v1/users?q=${encodeURIComponent('SATO')}`);
      expect(found.body.items.map((u: { name: string }) => u.name)).toEqual(['Aki Sato']);
      const byEmail = await admin.get(`/v1/users?q=${encodeURIComponent(made[3].email.slice(0, 12))}`);
      expect(byEmail.body.items.map((u: { id: string }) => u.id)).toContain(made[3].id);
      expect((await admin.get('/v1/users?q=%25')).body.items).toEqual([]);
      expect((await admin.patch(`/v1/users/${made[4].id}`, { status: 'deactivated' })).status).toBe(200);
      expect((await admin.get('/v1/users?status=deactivated')).body.items.map((u: { id: string }) => u.id)).toEqual([made[4].id]);

      expect(fieldsOf(await admin.get('/v1/users?role=owner'))).toEqual(['role']);
      expect(fieldsOf(await admin.get('/v1/users?cursor=bm90LWEtY3Vyc29y'))).toEqual(['cursor']);
      expect(fieldsOf(await admin.get('/v1/users?limit=1000'))).toEqual(['limit']);
      // Another organisation's people never appear.
      expect((await org.admin.get(`/v1/users?q=${encodeURIComponent('Aki Sato')}`)).body.items).toEqual([]);
    });
  });

  describe('teams', () => {
    test('an admin creates a team and staff see it with its members, added once however often they are added', async () => {
      const created = await org.admin.post('/v1/teams', { name: '  Claims desk  ' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: expect.any(String), name: 'Claims desk', memberIds: [], createdAt: expect.any(String) });
      const teamId = created.body.id;

      const added = await org.admin.post(`/v1/teams/${teamId}/members`, { userId: staff.id });
      expect(added.status).toBe(200);
      expect(added.body.memberIds).toEqual([staff.id]);
      expect((await org.admin.post(`/v1/teams/${teamId}/members`, { userId: org.adminId })).body.memberIds).toEqual([staff.id, org.adminId]);
      const again = await org.admin.post(`/v1/teams/${teamId}/members`, { userId: staff.id });
      expect(again.status).toBe(200);
      expect(again.body.memberIds).toEqual([staff.id, org.adminId]);

      const seenByStaff = await secondStaff.api.get('/v1/teams');
      expect(seenByStaff.status).toBe(200);
      expect(seenByStaff.body).toContainEqual({ id: teamId, name: 'Claims desk', memberIds: [staff.id, org.adminId], createdAt: created.body.createdAt });

      expect(await audit(teamId)).toEqual([
        { action: 'team.created', actor_id: org.adminId, details: null },
        { action: 'team.member_added', actor_id: org.adminId, details: { userId: staff.id } },
        { action: 'team.member_added', actor_id: org.adminId, details: { userId: org.adminId } },
      ]);
    });

    test('removing a member answers 204, takes them off the team, and answers 204 again when they are already off', async () => {
      const { body: team } = await org.admin.post('/v1/teams', { name: 'Renewals' });
      await org.admin.post(`/v1/teams/${team.id}/members`, { userId: staff.id });
      await org.admin.post(`/v1/teams/${team.id}/members`, { userId: secondStaff.id });

      const removed = await org.admin.delete(`/v1/teams/${team.id}/members/${staff.id}`);
      expect(removed.status).toBe(204);
      expect(removed.body).toBeUndefined();
      const listed = (await org.admin.get('/v1/teams')).body.find((t: { id: string }) => t.id === team.id);
      expect(listed.memberIds).toEqual([secondStaff.id]);
      expect((await org.admin.delete(`/v1/teams/${team.id}/members/${staff.id}`)).status).toBe(204);
      expect((await audit(team.id)).map((e) => e.action)).toEqual(['team.created', 'team.member_added', 'team.member_added', 'team.member_removed']);
    });

    test('a team name is unique in its organisation only', async () => {
      expect((await org.admin.post('/v1/teams', { name: 'Front office' })).status).toBe(201);
      const duplicate = await org.admin.post('/v1/teams', { name: 'Front office ' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ statusCode: 409, error: 'Conflict', details: [{ field: 'name', message: 'is already used by another team' }] });
      expect((await other.admin.post('/v1/teams', { name: 'Front office' })).status).toBe(201);
    });

    test('only staff and admins of the organisation can join a team', async () => {
      const { body: team } = await org.admin.post('/v1/teams', { name: 'Escalations' });
      for (const userId of [member.id, otherStaff.id, UNKNOWN_ID]) {
        const refused = await org.admin.post(`/v1/teams/${team.id}/members`, { userId });
        expect(refused.status).toBe(422);
        expect(refused.body.details).toEqual([{ field: 'userId', message: 'is not a staff or admin user of your organization' }]);
      }
      expect((await org.admin.get('/v1/teams')).body.find((t: { id: string }) => t.id === team.id).memberIds).toEqual([]);
    });

    test('staff may only look, members not even that, and another organisation sees none of it', async () => {
      const { body: team } = await org.admin.post('/v1/teams', { name: 'Night shift' });
      expect((await staff.api.post('/v1/teams', { name: 'Staff team' })).status).toBe(403);
      expect((await staff.api.post(`/v1/teams/${team.id}/members`, { userId: staff.id })).status).toBe(403);
      expect((await staff.api.delete(`/v1/teams/${team.id}/members/${staff.id}`)).status).toBe(403);
      expect((await member.api.get('/v1/teams')).status).toBe(403);
      expect((await member.api.post('/v1/teams', { name: 'Member team' })).status).toBe(403);

      expect((await other.admin.get('/v1/teams')).body.map((t: { id: string }) => t.id)).not.toContain(team.id);
      expect((await other.admin.post(`/v1/teams/${team.id}/members`, { userId: otherStaff.id })).status).toBe(404);
      expect((await other.admin.delete(`/v1/teams/${team.id}/members/${staff.id}`)).status).toBe(404);
      expect((await org.admin.post(`/v1/teams/${UNKNOWN_ID}/members`, { userId: staff.id })).status).toBe(404);
    });

    test.each([
      ['no name', '/v1/teams', {}, 'name'],
      ['a blank name', '/v1/teams', { name: '   ' }, 'name'],
      ['an unknown field', '/v1/teams', { name: 'X', colour: 'red' }, 'colour'],
      ['a userId that is not a UUID', '/v1/teams/TEAM/members', { userId: 'someone' }, 'userId'],
      ['a team id that is not a UUID', '/v1/teams/not-a-uuid/members', { userId: UNKNOWN_ID }, 'id'],
    ])('%s is a 400 naming the field', async (_, path, body, field) => {
      const { body: team } = await org.admin.post('/v1/teams', { name: `Validation ${field} ${Math.random()}` });
      const response = await org.admin.post(path.replace('TEAM', team.id), body);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toContain(field);
    });
  });

  describe('client accounts', () => {
    test('an admin creates accounts and grants access; staff and members see only the accounts granted to them', async () => {
      const created = await org.admin.post('/v1/client-accounts', { name: 'Acme Logistics' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: expect.any(String), name: 'Acme Logistics', createdAt: expect.any(String), userIds: [] });
      const acme = created.body.id;
      const {
        body: { id: globex },
      } = await org.admin.post('/v1/client-accounts', { name: 'Globex' });

      const granted = await org.admin.post(`/v1/client-accounts/${acme}/access`, { userId: member.id });
      expect(granted.status).toBe(200);
      expect(granted.body.userIds).toEqual([member.id]);
      expect((await org.admin.post(`/v1/client-accounts/${acme}/access`, { userId: staff.id })).body.userIds).toEqual([member.id, staff.id]);
      expect((await org.admin.post(`/v1/client-accounts/${acme}/access`, { userId: member.id })).body.userIds).toEqual([member.id, staff.id]);

      // Members and staff do not learn who else has access.
      const seenByMember = await member.api.get('/v1/client-accounts');
      expect(seenByMember.status).toBe(200);
      expect(seenByMember.body).toEqual([{ id: acme, name: 'Acme Logistics', createdAt: created.body.createdAt }]);
      expect((await staff.api.get('/v1/client-accounts')).body.map((a: { id: string }) => a.id)).toEqual([acme]);
      expect((await secondMember.api.get('/v1/client-accounts')).body).toEqual([]);
      const seenByAdmin = (await org.admin.get('/v1/client-accounts')).body;
      expect(seenByAdmin).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: acme, userIds: [member.id, staff.id] }), expect.objectContaining({ id: globex, userIds: [] })]),
      );
      expect((await audit(acme)).map((e) => e.action)).toEqual(['client_account.created', 'client_account.access_granted', 'client_account.access_granted']);
    });

    test('staff with access, and admins, list who may be addressed on an account; nobody else learns it', async () => {
      const { body: account } = await org.admin.post('/v1/client-accounts', { name: 'Hooli' });
      for (const userId of [member.id, staff.id, secondMember.id]) await org.admin.post(`/v1/client-accounts/${account.id}/access`, { userId });
      const expected = [member, staff, secondMember]
        .map((u) => ({ id: u.id, name: expect.any(String), role: u === staff ? 'staff' : 'member' }))
        .sort((a, b) => a.id.localeCompare(b.id));
      const byId = (items: Array<{ id: string }>) => [...items].sort((a, b) => a.id.localeCompare(b.id));
      const asStaff = await staff.api.get(`/v1/client-accounts/${account.id}/users`);
      expect(asStaff.status).toBe(200);
      expect(byId(asStaff.body.items)).toEqual(expected);
      expect(byId((await org.admin.get(`/v1/client-accounts/${account.id}/users`)).body.items)).toEqual(expected);

      // Staff without access, members (even with access) and other organisations do not.
      expect((await secondStaff.api.get(`/v1/client-accounts/${account.id}/users`)).status).toBe(404);
      expect((await member.api.get(`/v1/client-accounts/${account.id}/users`)).status).toBe(403);
      expect((await other.admin.get(`/v1/client-accounts/${account.id}/users`)).status).toBe(404);

      // A deactivated user can no longer be addressed, so is not offered.
      const leaving = await org.addUser('member');
      await org.admin.post(`/v1/client-accounts/${account.id}/access`, { userId: leaving.id });
      expect((await staff.api.get(`/v1/client-accounts/${account.id}/users`)).body.items.map((u: { id: string }) => u.id)).toContain(leaving.id);
      expect((await org.admin.patch(`/v1/users/${leaving.id}`, { status: 'deactivated' })).status).toBe(200);
      expect((await staff.api.get(`/v1/client-accounts/${account.id}/users`)).body.items.map((u: { id: string }) => u.id)).not.toContain(leaving.id);
    });

    test('revoking access hides the account from that user at once', async () => {
      const { body: account } = await org.admin.post('/v1/client-accounts', { name: 'Initech' });
      await org.admin.post(`/v1/client-accounts/${account.id}/access`, { userId: secondMember.id });
      expect((await secondMember.api.get('/v1/client-accounts')).body.map((a: { id: string }) => a.id)).toContain(account.id);

      expect((await org.admin.delete(`/v1/client-accounts/${account.id}/access/${secondMember.id}`)).status).toBe(204);
      expect((await secondMember.api.get('/v1/client-accounts')).body.map((a: { id: string }) => a.id)).not.toContain(account.id);
      expect((await org.admin.delete(`/v1/client-accounts/${account.id}/access/${secondMember.id}`)).status).toBe(204);
      expect((await audit(account.id)).map((e) => e.action)).toEqual([
        'client_account.created',
        'client_account.access_granted',
        'client_account.access_revoked',
      ]);
    });

    test('only admins manage accounts, and another organisation can neither see nor touch them', async () => {
      const { body: account } = await org.admin.post('/v1/client-accounts', { name: 'Umbrella' });
      for (const api of [staff.api, member.api]) {
        expect((await api.post('/v1/client-accounts', { name: 'Mine' })).status).toBe(403);
        expect((await api.post(`/v1/client-accounts/${account.id}/access`, { userId: member.id })).status).toBe(403);
        expect((await api.delete(`/v1/client-accounts/${account.id}/access/${member.id}`)).status).toBe(403);
      }
      expect((await other.admin.get('/v1/client-accounts')).body.map((a: { id: string }) => a.id)).not.toContain(account.id);
      expect((await other.admin.post(`/v1/client-accounts/${account.id}/access`, { userId: otherMember.id })).status).toBe(404);
      expect((await other.admin.delete(`/v1/client-accounts/${account.id}/access/${member.id}`)).status).toBe(404);

      const stranger = await org.admin.post(`/v1/client-accounts/${account.id}/access`, { userId: otherMember.id });
      expect(stranger.status).toBe(422);
      expect(stranger.body.details).toEqual([{ field: 'userId', message: 'is not a user of your organization' }]);
      expect((await otherMember.api.get('/v1/client-accounts')).body).toEqual([]);

      expect(fieldsOf(await org.admin.post('/v1/client-accounts', { name: '' }))).toEqual(['name']);
      expect(fieldsOf(await org.admin.post(`/v1/client-accounts/${account.id}/access`, { userId: 42 }))).toEqual(['userId']);
      expect(fieldsOf(await org.admin.delete(`/v1/client-accounts/${account.id}/access/me`))).toEqual(['userId']);
    });

    test('other modules ask who has access to an account, and get no one for another organisation', async () => {
      const { body: account } = await org.admin.post('/v1/client-accounts', { name: 'Soylent' });
      await org.admin.post(`/v1/client-accounts/${account.id}/access`, { userId: member.id });
      await org.admin.post(`/v1/client-accounts/${account.id}/access`, { userId: secondStaff.id });
      const { body: team } = await org.admin.post('/v1/teams', { name: 'Soylent team' });
      await org.admin.post(`/v1/teams/${team.id}/members`, { userId: secondStaff.id });

      const orm = await MikroORM.init(ormConfig(platform.databaseUrl, { poolMax: 2 }));
      try {
        const em = orm.em.fork();
        const clientAccounts = new ClientAccountsService(em, new AuditService(em));
        expect(await clientAccounts.usersWithAccess(org.id, account.id)).toEqual(new Set([member.id, secondStaff.id]));
        expect(await clientAccounts.usersWithAccess(other.id, account.id)).toEqual(new Set());
        expect(await clientAccounts.hasAccess(org.id, account.id, member.id)).toBe(true);
        expect(await clientAccounts.hasAccess(org.id, account.id, secondMember.id)).toBe(false);
        expect(await clientAccounts.hasAccess(other.id, account.id, member.id)).toBe(false);

        const teams = new TeamsService(em, new AuditService(em));
        expect(await teams.memberIds(org.id, [team.id])).toEqual(new Set([secondStaff.id]));
        expect(await teams.memberIds(other.id, [team.id])).toEqual(new Set());
      } finally {
        await orm.close(true);
      }
    });
  });

  describe('coordinators', () => {
    test('an admin gives a member a coordinator, every user view shows it, and null takes it away', async () => {
      expect((await org.admin.get(`/v1/users/${member.id}`)).body.coordinatorId).toBeNull();
      const assigned = await org.admin.patch(`/v1/users/${member.id}`, { coordinatorId: staff.id });
      expect(assigned.status).toBe(200);
      expect(assigned.body).toMatchObject({ id: member.id, role: 'member', coordinatorId: staff.id });
      expect((await member.api.get(`/v1/users/${member.id}`)).body.coordinatorId).toBe(staff.id);
      expect((await staff.api.get('/v1/users?role=member&limit=100')).body.items.find((u: { id: string }) => u.id === member.id).coordinatorId).toBe(staff.id);

      expect((await org.admin.patch(`/v1/users/${member.id}`, { coordinatorId: org.adminId })).body.coordinatorId).toBe(org.adminId);
      const cleared = await org.admin.patch(`/v1/users/${member.id}`, { coordinatorId: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.coordinatorId).toBeNull();
      expect((await org.admin.get(`/v1/users/${member.id}`)).body.coordinatorId).toBeNull();
      expect((await audit(member.id)).map((e) => e.details)).toEqual([{ coordinatorId: staff.id }, { coordinatorId: org.adminId }, { coordinatorId: null }]);
    });

    test('a coordinator is a staff or admin user of the same organisation, and only members have one', async () => {
      for (const [target, coordinatorId, message] of [
        [secondMember.id, member.id, 'is not a staff or admin user of your organization'],
        [secondMember.id, otherStaff.id, 'is not a staff or admin user of your organization'],
        [secondMember.id, UNKNOWN_ID, 'is not a staff or admin user of your organization'],
        [staff.id, secondStaff.id, 'only members have a coordinator'],
      ]) {
        const refused = await org.admin.patch(`/v1/users/${target}`, { coordinatorId });
        expect(refused.status).toBe(422);
        expect(refused.body.details).toEqual([{ field: 'coordinatorId', message }]);
      }
      expect((await org.admin.get(`/v1/users/${secondMember.id}`)).body.coordinatorId).toBeNull();
    });

    test('only admins assign coordinators, within their organisation, and a bad id is a 400', async () => {
      expect((await staff.api.patch(`/v1/users/${secondMember.id}`, { coordinatorId: staff.id })).status).toBe(403);
      expect((await member.api.patch(`/v1/users/${member.id}`, { coordinatorId: staff.id })).status).toBe(403);
      expect((await other.admin.patch(`/v1/users/${secondMember.id}`, { coordinatorId: otherStaff.id })).status).toBe(404);
      const bad = await org.admin.patch(`/v1/users/${secondMember.id}`, { coordinatorId: 'my-friend' });
      expect(bad.status).toBe(400);
      expect(bad.body.details).toEqual([{ field: 'coordinatorId', message: 'coordinatorId must be a UUID or null' }]);
      expect(fieldsOf(await org.admin.patch(`/v1/users/${secondMember.id}`, { role: 'owner' }))).toEqual(['role']);
      expect((await org.admin.get(`/v1/users/${secondMember.id}`)).body).toMatchObject({ role: 'member', coordinatorId: null });
    });
  });

  describe('deactivation', () => {
    const password = 'a long test password';
    const login = (email: string, pass = password) => new Api(platform.baseUrl).post('/v1/auth/login', { email, password: pass });
    const statusRow = async (id: string) =>
      (await platform.query<{ status: string; deactivated_at: Date | null }>('select status, deactivated_at from app_user where id = $1', [id]))[0];
    /** The guard may reuse a user's status for up to AUTH_STATUS_CACHE_MS (2 s by default, as here). */
    const refusedWithin = (api: Api, path: string) => eventually(async () => expect((await api.get(path)).status).toBe(401), 3_000);

    test('an admin deactivates a user: 200 with the status, audited; login answers as a wrong password would, and their token stops working', async () => {
      const target = await org.addUser('staff');
      expect((await target.api.get(`/v1/users/${target.id}`)).body.status).toBe('active');
      expect((await org.admin.get(`/v1/users/${target.id}`)).body).toMatchObject({ id: target.id, status: 'active' });

      const deactivated = await org.admin.patch(`/v1/users/${target.id}`, { status: 'deactivated' });
      expect(deactivated.status).toBe(200);
      expect(deactivated.body).toMatchObject({ id: target.id, role: 'staff', status: 'deactivated' });
      expect((await org.admin.get('/v1/users?status=deactivated&limit=100')).body.items.find((u: { id: string }) => u.id === target.id).status).toBe(
        'deactivated',
      );
      expect(await statusRow(target.id)).toEqual({ status: 'deactivated', deactivated_at: expect.any(Date) });
      expect(await audit(target.id)).toEqual([{ action: 'user.deactivated', actor_id: org.adminId, details: null }]);

      const refused = await login(target.email);
      const wrongPassword = await login(target.email, 'not the password at all');
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual(wrongPassword.body);
      await refusedWithin(target.api, `/v1/users/${target.id}`);
      expect((await target.api.get('/v1/teams')).status).toBe(401);
      // Deactivating again changes nothing and records nothing.
      expect((await org.admin.patch(`/v1/users/${target.id}`, { status: 'deactivated' })).body.status).toBe('deactivated');
      expect(await audit(target.id)).toHaveLength(1);
    });

    test('reactivating clears the deactivation, and the user logs in again', async () => {
      const target = await org.addUser('member');
      await org.admin.patch(`/v1/users/${target.id}`, { status: 'deactivated' });
      expect((await login(target.email)).status).toBe(401);

      const reactivated = await org.admin.patch(`/v1/users/${target.id}`, { status: 'active' });
      expect(reactivated.status).toBe(200);
      expect(reactivated.body.status).toBe('active');
      expect(await statusRow(target.id)).toEqual({ status: 'active', deactivated_at: null });
      const again = await login(target.email);
      expect(again.status).toBe(200);
      expect((await new Api(platform.baseUrl, again.body.accessToken).get(`/v1/users/${target.id}`)).body.status).toBe('active');
      expect((await audit(target.id)).map((e) => [e.action, e.actor_id])).toEqual([
        ['user.deactivated', org.adminId],
        ['user.reactivated', org.adminId],
      ]);
    });

    test('the last active admin cannot be deactivated (409); deactivated admins do not count', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const alone = await fresh.admin.patch(`/v1/users/${fresh.adminId}`, { status: 'deactivated' });
      expect(alone.status).toBe(409);
      expect(alone.body).toMatchObject({
        statusCode: 409,
        details: [{ field: 'status', message: 'cannot deactivate the last active admin of the organization; add or reactivate another admin first' }],
      });

      const second = await fresh.addUser('admin');
      expect((await fresh.admin.patch(`/v1/users/${second.id}`, { status: 'deactivated' })).status).toBe(200);
      expect((await fresh.admin.patch(`/v1/users/${fresh.adminId}`, { status: 'deactivated' })).status).toBe(409);

      expect((await fresh.admin.patch(`/v1/users/${second.id}`, { status: 'active' })).status).toBe(200);
      const { body: relogged } = await login(second.email);
      const secondApi = new Api(platform.baseUrl, relogged.accessToken);
      expect((await secondApi.patch(`/v1/users/${fresh.adminId}`, { status: 'deactivated' })).status).toBe(200);
      await refusedWithin(fresh.admin, `/v1/users/${fresh.adminId}`);
      expect((await secondApi.patch(`/v1/users/${second.id}`, { status: 'deactivated' })).status).toBe(409);
      expect(await statusRow(second.id)).toEqual({ status: 'active', deactivated_at: null });
    });

    test('two admins deactivating each other at once: one wins, the other gets 409, and an active admin remains', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const second = await fresh.addUser('admin');
      const answers = await Promise.all([
        fresh.admin.patch(`/v1/users/${second.id}`, { status: 'deactivated' }),
        second.api.patch(`/v1/users/${fresh.adminId}`, { status: 'deactivated' }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const [{ n }] = await platform.query<{ n: number }>(
        `select count(*)::int as n from app_user where organization_id = $1 and role = 'admin' and status = 'active'`,
        [fresh.id],
      );
      expect(n).toBe(1);
    });

    test('only admins change a status, within their organisation, and a bad status is a 400 naming it', async () => {
      const target = await org.addUser('member');
      expect((await staff.api.patch(`/v1/users/${target.id}`, { status: 'deactivated' })).status).toBe(403);
      expect((await other.admin.patch(`/v1/users/${target.id}`, { status: 'deactivated' })).status).toBe(404);
      for (const status of ['suspended', null, 1]) {
        const bad = await org.admin.patch(`/v1/users/${target.id}`, { status });
        expect(bad.status).toBe(400);
        expect(bad.body.details).toEqual([{ field: 'status', message: 'status must be one of active, deactivated' }]);
      }
      expect(await statusRow(target.id)).toEqual({ status: 'active', deactivated_at: null });
    });
  });

  describe('canned responses', () => {
    const html = '<p>Thanks for your claim, <b>we are on it</b>.</p>';

    test('staff build a shared library: create, list, edit and delete, all audited', async () => {
      const created = await staff.api.post('/v1/canned-responses', { title: ' Claim received ', body: html });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        title: 'Claim received',
        body: html,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const id = created.body.id;
      expect((await secondStaff.api.get('/v1/canned-responses')).body).toContainEqual(created.body);

      const retitled = await org.admin.patch(`/v1/canned-responses/${id}`, { title: 'Claim acknowledged' });
      expect(retitled.status).toBe(200);
      expect(retitled.body).toMatchObject({ id, title: 'Claim acknowledged', body: html, createdAt: created.body.createdAt });
      expect(Date.parse(retitled.body.updatedAt)).toBeGreaterThan(Date.parse(created.body.updatedAt));
      expect((await secondStaff.api.patch(`/v1/canned-responses/${id}`, { body: '<p>Received.</p>' })).body).toMatchObject({
        title: 'Claim acknowledged',
        body: '<p>Received.</p>',
      });

      const deleted = await secondStaff.api.delete(`/v1/canned-responses/${id}`);
      expect(deleted.status).toBe(204);
      expect((await staff.api.get('/v1/canned-responses')).body.map((r: { id: string }) => r.id)).not.toContain(id);
      expect((await staff.api.patch(`/v1/canned-responses/${id}`, { title: 'Back' })).status).toBe(404);
      expect((await staff.api.delete(`/v1/canned-responses/${id}`)).status).toBe(404);
      expect(await audit(id)).toEqual([
        { action: 'canned_response.created', actor_id: staff.id, details: null },
        { action: 'canned_response.updated', actor_id: org.adminId, details: null },
        { action: 'canned_response.updated', actor_id: secondStaff.id, details: null },
        { action: 'canned_response.deleted', actor_id: secondStaff.id, details: null },
      ]);
    });

    test('a title is unique in its organisation, on create and on rename', async () => {
      expect((await staff.api.post('/v1/canned-responses', { title: 'Payment sent', body: html })).status).toBe(201);
      const duplicate = await staff.api.post('/v1/canned-responses', { title: 'Payment sent', body: '<p>other</p>' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.details).toEqual([{ field: 'title', message: 'is already used by another canned response' }]);
      const { body: second } = await staff.api.post('/v1/canned-responses', { title: 'Payment late', body: html });
      const rename = await staff.api.patch(`/v1/canned-responses/${second.id}`, { title: 'Payment sent' });
      expect(rename.status).toBe(409);
      expect(fieldsOf(rename)).toEqual(['title']);
      expect((await staff.api.patch(`/v1/canned-responses/${second.id}`, { title: 'Payment late', body: '<p>late</p>' })).status).toBe(200);
      expect((await otherStaff.api.post('/v1/canned-responses', { title: 'Payment sent', body: html })).status).toBe(201);
    });

    test('the body is capped at 64 KB with a 413 naming it', async () => {
      const atCap = await staff.api.post('/v1/canned-responses', { title: 'Long form', body: `<p>${'x'.repeat(64 * 1024 - 7)}</p>` });
      expect(atCap.status).toBe(201);
      const tooBig = await staff.api.post('/v1/canned-responses', { title: 'Too long', body: `<p>${'é'.repeat(32 * 1024)}</p>` });
      expect(tooBig.status).toBe(413);
      expect(tooBig.body.details).toEqual([{ field: 'body', message: 'must be at most 65536 bytes' }]);
      const grown = await staff.api.patch(`/v1/canned-responses/${atCap.body.id}`, { body: `${atCap.body.body}!` });
      expect(grown.status).toBe(413);
      expect((await staff.api.get('/v1/canned-responses')).body.map((r: { title: string }) => r.title)).not.toContain('Too long');
    });

    test('members cannot use the library and another organisation cannot see or change it', async () => {
      const { body: response } = await staff.api.post('/v1/canned-responses', { title: 'Private to org', body: html });
      expect((await member.api.get('/v1/canned-responses')).status).toBe(403);
      expect((await member.api.post('/v1/canned-responses', { title: 'Mine', body: html })).status).toBe(403);
      expect((await member.api.patch(`/v1/canned-responses/${response.id}`, { title: 'Mine' })).status).toBe(403);
      expect((await member.api.delete(`/v1/canned-responses/${response.id}`)).status).toBe(403);
      expect((await otherStaff.api.get('/v1/canned-responses')).body.map((r: { id: string }) => r.id)).not.toContain(response.id);
      expect((await other.admin.patch(`/v1/canned-responses/${response.id}`, { title: 'Stolen' })).status).toBe(404);
      expect((await other.admin.delete(`/v1/canned-responses/${response.id}`)).status).toBe(404);
      expect((await staff.api.get('/v1/canned-responses')).body).toContainEqual(response);
    });

    test.each([
      ['no body', { title: 'T' }, 'body'],
      ['an empty body', { title: 'T', body: '' }, 'body'],
      ['a blank title', { title: '  ', body: html }, 'title'],
      ['a title over 200 characters', { title: 'x'.repeat(201), body: html }, 'title'],
      ['a body that is not text', { title: 'T', body: { html } }, 'body'],
    ])('%s is a 400 naming the field', async (_, body, field) => {
      const response = await staff.api.post('/v1/canned-responses', body);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual([field]);
    });
  });

  describe('organisation settings', () => {
    test('a new organisation starts with the defaults', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const settings = await fresh.admin.get('/v1/organization/settings');
      expect(settings.status).toBe(200);
      expect(settings.body).toEqual({
        notificationMode: 'privacy',
        allowContactsToReopen: false,
        contactMessaging: { restrictToCoordinator: false, allowedStaffIds: [], allowedTeamIds: [] },
        readNotificationUserIds: [],
        unreadReminderMinutes: 0,
        sessionIdleMinutes: 30,
        chatRequests: DEFAULT_CHAT_REQUEST_SETTINGS,
        timezone: 'UTC',
        quietHours: null,
      });
    });

    test('time zone and quiet hours: set, cleared, and refused naming the field', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const set = await fresh.admin.patch('/v1/organization/settings', { timezone: 'America/Chicago', quietHours: { start: '21:00', end: '08:00' } });
      expect(set.body).toMatchObject({ timezone: 'America/Chicago', quietHours: { start: '21:00', end: '08:00' } });
      expect(fieldsOf(await fresh.admin.patch('/v1/organization/settings', { timezone: 'Mars/Olympus' }))).toEqual(['timezone']);
      expect(fieldsOf(await fresh.admin.patch('/v1/organization/settings', { quietHours: { start: '25:00', end: '08:00' } }))).toEqual(['quietHours.start']);
      expect(fieldsOf(await fresh.admin.patch('/v1/organization/settings', { quietHours: { start: '08:00', end: '08:00' } }))).toEqual(['quietHours.end']);
      expect((await fresh.admin.patch('/v1/organization/settings', { quietHours: null })).body).toMatchObject({
        timezone: 'America/Chicago',
        quietHours: null,
      });
    });

    test('each PATCH changes only what it names, and a list given replaces the old one', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const [alice, bob, carol] = [await fresh.addUser('staff'), await fresh.addUser('staff'), await fresh.addUser('member')];
      const { body: team } = await fresh.admin.post('/v1/teams', { name: 'Care team' });

      const first = await fresh.admin.patch('/v1/organization/settings', {
        allowContactsToReopen: true,
        contactMessaging: { restrictToCoordinator: true, allowedStaffIds: [alice.id, bob.id], allowedTeamIds: [team.id] },
        readNotificationUserIds: [bob.id, fresh.adminId],
        unreadReminderMinutes: 10080,
      });
      expect(first.status).toBe(200);
      // Read receipts are for the organisation's own people: a member (a contact) is refused, and nothing changes.
      const contact = await fresh.admin.patch('/v1/organization/settings', { readNotificationUserIds: [carol.id], unreadReminderMinutes: 5 });
      expect(contact.status).toBe(422);
      expect(fieldsOf(contact)).toEqual(['readNotificationUserIds']);
      const everything = {
        notificationMode: 'privacy',
        allowContactsToReopen: true,
        contactMessaging: { restrictToCoordinator: true, allowedStaffIds: [alice.id, bob.id].sort(), allowedTeamIds: [team.id] },
        readNotificationUserIds: [bob.id, fresh.adminId].sort(),
        unreadReminderMinutes: 10080,
        sessionIdleMinutes: 30,
        chatRequests: DEFAULT_CHAT_REQUEST_SETTINGS,
        timezone: 'UTC',
        quietHours: null,
      };
      expect(first.body).toEqual(everything);

      expect((await fresh.admin.patch('/v1/organization/settings', { unreadReminderMinutes: 30 })).body).toEqual({ ...everything, unreadReminderMinutes: 30 });
      expect((await fresh.admin.patch('/v1/organization/settings', { notificationMode: 'convenience' })).body).toEqual({
        ...everything,
        notificationMode: 'convenience',
        unreadReminderMinutes: 30,
      });
      const narrowed = await fresh.admin.patch('/v1/organization/settings', { contactMessaging: { allowedStaffIds: [bob.id] } });
      expect(narrowed.body.contactMessaging).toEqual({ restrictToCoordinator: true, allowedStaffIds: [bob.id], allowedTeamIds: [team.id] });
      const cleared = await fresh.admin.patch('/v1/organization/settings', {
        contactMessaging: { allowedTeamIds: [], restrictToCoordinator: false },
        readNotificationUserIds: [],
      });
      expect(cleared.body).toEqual({
        notificationMode: 'convenience',
        allowContactsToReopen: true,
        contactMessaging: { restrictToCoordinator: false, allowedStaffIds: [bob.id], allowedTeamIds: [] },
        readNotificationUserIds: [],
        unreadReminderMinutes: 30,
        sessionIdleMinutes: 30,
        chatRequests: DEFAULT_CHAT_REQUEST_SETTINGS,
        timezone: 'UTC',
        quietHours: null,
      });
      expect((await fresh.admin.get('/v1/organization/settings')).body).toEqual(cleared.body);
      expect((await fresh.admin.patch('/v1/organization/settings', {})).body).toEqual(cleared.body);
      expect((await audit(fresh.id)).filter((e) => e.action === 'organization.settings_updated')).toHaveLength(5);
    });

    test('ids must belong to the organisation, in the right role, or nothing changes and the answer is a 422 naming the list', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const freshStaff = await fresh.addUser('staff');
      const freshMember = await fresh.addUser('member');
      const { body: otherTeam } = await other.admin.post('/v1/teams', { name: `Elsewhere ${Date.now()}` });
      const before = (await fresh.admin.get('/v1/organization/settings')).body;

      for (const [patch, field, unknownId] of [
        [{ contactMessaging: { allowedStaffIds: [freshStaff.id, freshMember.id] } }, 'contactMessaging.allowedStaffIds', freshMember.id],
        [{ contactMessaging: { allowedStaffIds: [otherStaff.id] } }, 'contactMessaging.allowedStaffIds', otherStaff.id],
        [{ contactMessaging: { allowedTeamIds: [otherTeam.id] } }, 'contactMessaging.allowedTeamIds', otherTeam.id],
        [{ readNotificationUserIds: [freshMember.id, otherMember.id] }, 'readNotificationUserIds', otherMember.id],
        [{ unreadReminderMinutes: 60, contactMessaging: { allowedTeamIds: [UNKNOWN_ID] } }, 'contactMessaging.allowedTeamIds', UNKNOWN_ID],
      ] as const) {
        const refused = await fresh.admin.patch('/v1/organization/settings', patch);
        expect(refused.status).toBe(422);
        expect(refused.body.details).toEqual([{ field, message: expect.stringContaining(unknownId) }]);
      }
      expect((await fresh.admin.get('/v1/organization/settings')).body).toEqual(before);
    });

    test.each([
      ['a reminder over a week', { unreadReminderMinutes: 10081 }, 'unreadReminderMinutes'],
      ['a negative reminder', { unreadReminderMinutes: -1 }, 'unreadReminderMinutes'],
      ['a fractional reminder', { unreadReminderMinutes: 1.5 }, 'unreadReminderMinutes'],
      ['a reminder given as text', { unreadReminderMinutes: '30' }, 'unreadReminderMinutes'],
      ['allowContactsToReopen as text', { allowContactsToReopen: 'yes' }, 'allowContactsToReopen'],
      ['allowContactsToReopen null', { allowContactsToReopen: null }, 'allowContactsToReopen'],
      ['contactMessaging null', { contactMessaging: null }, 'contactMessaging'],
      ['restrictToCoordinator as a number', { contactMessaging: { restrictToCoordinator: 1 } }, 'contactMessaging.restrictToCoordinator'],
      ['a staff id that is not a UUID', { contactMessaging: { allowedStaffIds: ['alice'] } }, 'contactMessaging.allowedStaffIds'],
      ['a repeated team id', { contactMessaging: { allowedTeamIds: [UNKNOWN_ID, UNKNOWN_ID] } }, 'contactMessaging.allowedTeamIds'],
      ['an unknown nested field', { contactMessaging: { allowEveryone: true } }, 'contactMessaging.allowEveryone'],
      ['readNotificationUserIds not a list', { readNotificationUserIds: UNKNOWN_ID }, 'readNotificationUserIds'],
      ['an unknown notification mode', { notificationMode: 'loud' }, 'notificationMode'],
    ])('%s is a 400 naming the field', async (_, patch, field) => {
      const response = await org.admin.patch('/v1/organization/settings', patch);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual([field]);
    });

    test('only admins read or change the settings', async () => {
      for (const api of [staff.api, member.api]) {
        expect((await api.get('/v1/organization/settings')).status).toBe(403);
        expect((await api.patch('/v1/organization/settings', { allowContactsToReopen: true })).status).toBe(403);
      }
      expect((await org.admin.get('/v1/organization/settings')).body.allowContactsToReopen).toBe(false);
    });
  });
});
