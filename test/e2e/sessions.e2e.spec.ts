import { SendgridFake } from '../fakes/sendgrid-fake.js';
import { Api, createOrganization, eventually, TestOrganization } from '../support/api.js';
import { Platform } from '../support/platform.js';

const SENDGRID_KEY = 'SG.test-key';
const PASSWORD = 'a long test password';

/**
 * Access that can be taken away (issue 10 §1): sessions with rotating refresh tokens, the automatic logoff,
 * role and password changes that take effect at once, and one-time reset links — on the real platform.
 */
describe('sessions and passwords (end to end)', () => {
  const sendgrid = new SendgridFake(SENDGRID_KEY);
  let platform: Platform;
  let org: TestOrganization;

  beforeAll(async () => {
    const sendgridUrl = await sendgrid.start();
    platform = await new Platform({
      env: { EMAIL_PROVIDER: 'sendgrid', SENDGRID_API_KEY: SENDGRID_KEY, SENDGRID_API_BASE_URL: sendgridUrl, EMAIL_FROM: 'Tidings <no-reply@tidings.test>' },
    }).start();
    org = await createOrganization(platform.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await sendgrid.stop();
  });

  const anonymous = () => new Api(platform.baseUrl);
  const login = (email: string, password = PASSWORD) => anonymous().post('/v1/auth/login', { email, password });
  const refresh = (refreshToken: string) => anonymous().post('/v1/auth/refresh', { refreshToken });
  /** A user with a session of their own; `session()` opens another (another device). */
  const userWithSessions = async (role: 'admin' | 'staff' | 'member' = 'staff') => {
    const user = await org.addUser(role);
    const session = async () => {
      const response = await login(user.email);
      expect(response.status).toBe(200);
      return { api: anonymous().as(response.body.accessToken), refreshToken: response.body.refreshToken as string, body: response.body };
    };
    return { ...user, session };
  };
  const audits = (subjectId: string) =>
    platform
      .query<{ action: string }>('select action from audit_event where subject_id = $1 order by created_at, action', [subjectId])
      .then((rows) => rows.map((r) => r.action));

  describe('login and refresh', () => {
    test('login gives a 15-minute access token and a refresh token, in the body and as an HttpOnly, Secure, SameSite=Strict cookie', async () => {
      const user = await org.addUser('member');
      const response = await fetch(`${platform.baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: PASSWORD }),
      });
      const body = (await response.json()) as { expiresIn: number; refreshToken: string; refreshExpiresAt: string };
      expect(body.expiresIn).toBe(900);
      expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const idleMinutes = (Date.parse(body.refreshExpiresAt) - Date.now()) / 60_000;
      expect(idleMinutes).toBeGreaterThan(29);
      expect(idleMinutes).toBeLessThanOrEqual(30);
      const cookie = response.headers.get('set-cookie') ?? '';
      expect(cookie).toContain(`tidings_refresh=${body.refreshToken}`);
      expect(cookie).toMatch(/Path=\/v1\/auth/);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/Secure/);
      expect(cookie).toMatch(/SameSite=Strict/);
      // Only a hash is stored.
      const stored = await platform.query<{ token_hash: string }>('select token_hash from refresh_token');
      expect(stored.map((row) => row.token_hash)).not.toContain(body.refreshToken);
    });

    test('refresh rotates: a new pair each time, by body or by cookie; the old access token keeps working until it expires', async () => {
      const user = await userWithSessions();
      const first = await user.session();
      const second = await refresh(first.refreshToken);
      expect(second.status).toBe(200);
      expect(second.body.refreshToken).not.toBe(first.refreshToken);
      const byCookie = await anonymous().post('/v1/auth/refresh', {}, { cookie: `tidings_refresh=${second.body.refreshToken}` });
      expect(byCookie.status).toBe(200);
      expect((await anonymous().as(byCookie.body.accessToken).get(`/v1/users/${user.id}`)).status).toBe(200);
      expect((await first.api.get(`/v1/users/${user.id}`)).status).toBe(200);
    });

    test('a rotated refresh token used again ends the whole session: every token of it is refused, and it is audited', async () => {
      const user = await userWithSessions();
      const stolen = await user.session();
      const legitimate = await refresh(stolen.refreshToken);
      const otherDevice = await user.session();

      expect((await refresh(stolen.refreshToken)).status).toBe(401);

      expect((await refresh(legitimate.body.refreshToken)).status).toBe(401);
      expect((await anonymous().as(legitimate.body.accessToken).get(`/v1/users/${user.id}`)).status).toBe(401);
      expect((await stolen.api.get(`/v1/users/${user.id}`)).status).toBe(401);
      // Only that session: the user's other device goes on.
      expect((await otherDevice.api.get(`/v1/users/${user.id}`)).status).toBe(200);
      expect(await audits(user.id)).toContain('session.refresh_reused');
    });

    test('two refreshes racing with one token: at most one gets a new pair', async () => {
      const user = await userWithSessions();
      const { refreshToken } = await user.session();
      const answers = await Promise.all([refresh(refreshToken), refresh(refreshToken), refresh(refreshToken)]);
      expect(answers.filter((answer) => answer.status === 200).length).toBeLessThanOrEqual(1);
      expect(answers.every((answer) => answer.status === 200 || answer.status === 401)).toBe(true);
    });

    test('unknown, malformed or missing refresh tokens are 401', async () => {
      expect((await refresh('not-a-token')).status).toBe(401);
      expect((await anonymous().post('/v1/auth/refresh', {})).status).toBe(401);
      const wrongType = await anonymous().post('/v1/auth/refresh', { refreshToken: 42 });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.details[0].field).toBe('refreshToken');
    });
  });

  describe('logout and the automatic logoff', () => {
    test('logout with the access token ends the session at once: the access token and the refresh token are refused', async () => {
      const user = await userWithSessions();
      const session = await user.session();
      const response = await fetch(`${platform.baseUrl}/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${session.api.token}` } });
      expect(response.status).toBe(204);
      expect(response.headers.get('set-cookie')).toMatch(/tidings_refresh=;/);
      expect((await session.api.get(`/v1/users/${user.id}`)).status).toBe(401);
      expect((await refresh(session.refreshToken)).status).toBe(401);
      expect(await audits(user.id)).toContain('auth.logout');
    });

    test('logout with only the refresh token (an expired access token, the cookie) works too', async () => {
      const user = await userWithSessions();
      const session = await user.session();
      expect((await anonymous().post('/v1/auth/logout', {}, { cookie: `tidings_refresh=${session.refreshToken}` })).status).toBe(204);
      expect((await session.api.get(`/v1/users/${user.id}`)).status).toBe(401);
      expect((await anonymous().post('/v1/auth/logout', {})).status).toBe(401);
    });

    test('sessionIdleMinutes sets how long an unused session lasts: past it, the refresh token is refused', async () => {
      const other = await createOrganization(platform.baseUrl);
      const invalid = await other.admin.patch('/v1/organization/settings', { sessionIdleMinutes: 2 });
      expect(invalid.status).toBe(400);
      expect(invalid.body.details[0].field).toBe('sessionIdleMinutes');
      const saved = await other.admin.patch('/v1/organization/settings', { sessionIdleMinutes: 5 });
      expect(saved.body.sessionIdleMinutes).toBe(5);
      const user = await other.addUser('member');
      const session = await login(user.email);
      const idleMinutes = (Date.parse(session.body.refreshExpiresAt) - Date.now()) / 60_000;
      expect(idleMinutes).toBeGreaterThan(4);
      expect(idleMinutes).toBeLessThanOrEqual(5);
      // Five minutes without a refresh, as the database will see it then.
      await platform.query(`update auth_session set idle_expires_at = now() - interval '1 second' where user_id = $1`, [user.id]);
      expect((await refresh(session.body.refreshToken)).status).toBe(401);
    });
  });

  describe('what an admin changes takes effect at once', () => {
    test('a role change: tokens naming the old role are refused, and the next refresh carries the new one', async () => {
      const user = await userWithSessions('staff');
      const session = await user.session();
      expect((await session.api.get('/v1/teams')).status).toBe(200);
      const changed = await org.admin.patch(`/v1/users/${user.id}`, { role: 'member' });
      expect(changed.status).toBe(200);
      expect(changed.body.role).toBe('member');
      expect((await session.api.get('/v1/teams')).status).toBe(401);
      const renewed = await refresh(session.refreshToken);
      expect(renewed.status).toBe(200);
      expect(renewed.body.user.role).toBe('member');
      expect((await anonymous().as(renewed.body.accessToken).get('/v1/teams')).status).toBe(403);
      expect(await audits(user.id)).toContain('user.role_changed');
    });

    test('the last active admin cannot be demoted (409 naming role)', async () => {
      const lonely = await createOrganization(platform.baseUrl);
      const demoted = await lonely.admin.patch(`/v1/users/${lonely.adminId}`, { role: 'staff' });
      expect(demoted.status).toBe(409);
      expect(demoted.body.details[0].field).toBe('role');
    });

    test('name, email and phone change; an email in use is a 409; the audit names the fields, not their values', async () => {
      const user = await org.addUser('member');
      const taken = await org.addUser('member');
      const changed = await org.admin.patch(`/v1/users/${user.id}`, { name: 'Renamed Person', email: `Renamed-${user.email}`, phone: '+15551230000' });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ name: 'Renamed Person', email: `renamed-${user.email}`, phone: '+15551230000' });
      expect((await login(`renamed-${user.email}`)).status).toBe(200);
      const duplicate = await org.admin.patch(`/v1/users/${user.id}`, { email: taken.email });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.details[0].field).toBe('email');
      const [row] = await platform.query<{ details: unknown }>(`select details from audit_event where subject_id = $1 and action = 'user.profile_changed'`, [
        user.id,
      ]);
      expect(row.details).toEqual({ fields: ['name', 'email', 'phone'] });
      expect((await org.admin.patch(`/v1/users/${user.id}`, { phone: 'call me' })).body.details[0].field).toBe('phone');
    });

    test('deactivation ends every session: access tokens and refresh tokens are refused', async () => {
      const user = await userWithSessions();
      const [a, b] = [await user.session(), await user.session()];
      expect((await org.admin.patch(`/v1/users/${user.id}`, { status: 'deactivated' })).status).toBe(200);
      for (const session of [a, b]) {
        expect((await session.api.get(`/v1/users/${user.id}`)).status).toBe(401);
        expect((await refresh(session.refreshToken)).status).toBe(401);
      }
    });
  });

  describe('passwords', () => {
    test('changing your password ends your other sessions, not this one; the old password stops working', async () => {
      const user = await userWithSessions();
      const [here, elsewhere] = [await user.session(), await user.session()];
      const changed = await here.api.post('/v1/me/password', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' });
      expect(changed.status).toBe(204);
      expect((await here.api.get(`/v1/users/${user.id}`)).status).toBe(200);
      expect((await refresh(here.refreshToken)).status).toBe(200);
      expect((await elsewhere.api.get(`/v1/users/${user.id}`)).status).toBe(401);
      expect((await refresh(elsewhere.refreshToken)).status).toBe(401);
      expect((await login(user.email)).status).toBe(401);
      expect((await login(user.email, 'a brand new passphrase')).status).toBe(200);
      expect(await audits(user.id)).toContain('user.password_changed');
    });

    test.each([
      ['too short', 'short pass', /at least 12 characters/],
      ['among the 10,000 most common', 'qwerty123456', /10,000 most common/],
      ['a common one in other case', 'QAZWSXEDCRFV', /10,000 most common/],
      ['one character repeated', 'aaaaaaaaaaaaaa', /one character repeated/],
    ])('a weak new password (%s) is a 422 naming newPassword and saying why', async (_, newPassword, reason) => {
      const user = await userWithSessions();
      const { api } = await user.session();
      const refused = await api.post('/v1/me/password', { currentPassword: PASSWORD, newPassword });
      expect(refused.status).toBe(422);
      expect(refused.body.details).toEqual([{ field: 'newPassword', message: expect.stringMatching(reason) }]);
      expect((await login(user.email)).status).toBe(200);
    });

    test('the wrong current password is a 422 naming currentPassword, and guessing it is limited like logins', async () => {
      const user = await userWithSessions();
      const { api } = await user.session();
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await api.post('/v1/me/password', { currentPassword: `guess ${i}`, newPassword: 'a brand new passphrase' })).status);
      expect(statuses).toEqual([422, 422, 422, 422, 422, 429]);
    });

    test('a new user with a common password is refused too (422 naming password)', async () => {
      const refused = await org.admin.post('/v1/users', { email: `weak-${Date.now()}@example.org`, name: 'Weak', role: 'member', password: '1qaz2wsx3edc' });
      expect(refused.status).toBe(422);
      expect(refused.body.details[0].field).toBe('password');
    });
  });

  describe('password reset links', () => {
    const linkFor = async (email: string) => {
      const sent = await eventually(async () => {
        const found = sendgrid.deliveredEmails.filter((mail) => mail.to === email && mail.subject === 'Set a new Tidings password');
        expect(found.length).toBeGreaterThan(0);
        return found;
      });
      const match = /reset-password#token=([A-Za-z0-9_-]+)/.exec(sent[sent.length - 1].text ?? '');
      return match![1];
    };

    test('an admin sends a one-time link valid for an hour; using it sets the password and ends every session', async () => {
      const user = await userWithSessions('member');
      const session = await user.session();
      const requested = await org.admin.post(`/v1/users/${user.id}/password-reset`);
      expect(requested.status).toBe(202);
      const validMinutes = (Date.parse(requested.body.expiresAt) - Date.now()) / 60_000;
      expect(validMinutes).toBeGreaterThan(59);
      expect(validMinutes).toBeLessThanOrEqual(60);
      const token = await linkFor(user.email);
      expect(await platform.query('select 1 from password_reset where token_hash = $1', [token])).toEqual([]);

      const weak = await anonymous().post('/v1/auth/reset-password', { token, newPassword: '123456qwerty' });
      expect(weak.status).toBe(422);
      expect(weak.body.details[0].field).toBe('newPassword');
      expect((await anonymous().post('/v1/auth/reset-password', { token, newPassword: 'my fresh reset phrase' })).status).toBe(204);

      expect((await session.api.get(`/v1/users/${user.id}`)).status).toBe(401);
      expect((await refresh(session.refreshToken)).status).toBe(401);
      expect((await login(user.email, 'my fresh reset phrase')).status).toBe(200);
      const again = await anonymous().post('/v1/auth/reset-password', { token, newPassword: 'yet another phrase here' });
      expect(again.status).toBe(400);
      expect(again.body.details[0].field).toBe('token');
      expect(await audits(user.id)).toEqual(expect.arrayContaining(['user.password_reset_requested', 'user.password_reset']));
    });

    test('an expired link, a superseded one and an unknown one are refused alike', async () => {
      const user = await org.addUser('member');
      await org.admin.post(`/v1/users/${user.id}/password-reset`);
      const first = await linkFor(user.email);
      sendgrid.reset();
      await org.admin.post(`/v1/users/${user.id}/password-reset`);
      const second = await linkFor(user.email);
      await platform.query(`update password_reset set expires_at = now() - interval '1 second' where user_id = $1 and used_at is null`, [user.id]);
      for (const token of [first, second, 'no-such-token']) {
        const refused = await anonymous().post('/v1/auth/reset-password', { token, newPassword: 'a perfectly fine phrase' });
        expect(refused.status).toBe(400);
        expect(refused.body.details[0]).toEqual({ field: 'token', message: expect.stringContaining('invalid, already used or expired') });
      }
    });

    test('only admins send links, only for their own organisation; if the email cannot be sent, no link works', async () => {
      const user = await org.addUser('member');
      expect((await user.api.post(`/v1/users/${user.id}/password-reset`)).status).toBe(403);
      const other = await createOrganization(platform.baseUrl);
      expect((await other.admin.post(`/v1/users/${user.id}/password-reset`)).status).toBe(404);
      sendgrid.failNext(3, 500);
      const failed = await org.admin.post(`/v1/users/${user.id}/password-reset`);
      expect(failed.status).toBe(503);
      expect(await platform.query('select 1 from password_reset where user_id = $1 and used_at is null', [user.id])).toEqual([]);
    });
  });
});
