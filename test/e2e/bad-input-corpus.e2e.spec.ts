import { createHmac } from 'node:crypto';
import { Api, createOrganization, eventually, sleep, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { Platform } from '../support/platform.js';

const JWT_SECRET = 'test-jwt-secret-0123456789abcdef';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

type Caller = 'admin' | 'staff' | 'member' | 'anonymous' | { token: string };

/** One bad request: who sends it, what, and the field the answer must name. */
interface BadRequest {
  name: string;
  as: Caller;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string | (() => string);
  /** JSON (serialised here), or raw bytes with their content type. */
  body?: unknown;
  raw?: { body: string | Buffer | FormData; contentType?: string };
  headers?: Record<string, string>;
  field: string;
  status?: number;
}

const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** A JWT as an attacker would forge one: any header, any claims, signed with whatever key they have. */
function forgedToken(header: Record<string, unknown>, claims: Record<string, unknown>, key: string | null = JWT_SECRET): string {
  const unsigned = `${base64url(header)}.${base64url(claims)}`;
  if (key === null) return `${unsigned}.`;
  const algorithm = header.alg === 'HS512' ? 'sha512' : 'sha256';
  return `${unsigned}.${createHmac(algorithm, key).update(unsigned).digest('base64url')}`;
}
/** JSON nested `depth` arrays deep, as text: JSON.stringify itself cannot write what an attacker can. */
const nestedJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/**
 * A bad-input corpus (issue 10 §5): bad requests across every endpoint, each answered 4xx naming the field,
 * never 500, and a snapshot of every table shows that none of them wrote anything.
 */
describe('bad-input corpus (end to end)', () => {
  let platform: Platform;
  let org: TestOrganization;
  let other: TestOrganization;
  const api: Record<'admin' | 'staff' | 'member', Api> = {} as never;
  const ids: Record<string, string> = {};
  const foreign: Record<string, string> = {};

  beforeAll(async () => {
    platform = await new Platform().start();
    [org, other] = [await createOrganization(platform.baseUrl), await createOrganization(platform.baseUrl)];
    api.admin = org.admin;
    const staff = await org.addUser('staff');
    const member = await org.addUser('member');
    [api.staff, api.member, ids.staff, ids.member] = [staff.api, member.api, staff.id, member.id];
    const deactivated = await org.addUser('staff');
    ids.deactivatedToken = deactivated.api.token!;
    await org.admin.patch(`/v1/users/${deactivated.id}`, { status: 'deactivated' });

    const otherStaff = await other.addUser('staff');
    const otherMember = await other.addUser('member');
    foreign.user = otherMember.id;
    foreign.conversation = (await otherStaff.api.post('/v1/conversations', { subject: 'Theirs', body: '<p>x</p>', to: [otherMember.id] })).body.id;
    // Due in a month: nothing delivers them while the corpus runs, so a changed row can only be the corpus's doing.
    const later = new Date(Date.now() + 30 * 24 * 3600_000).toISOString();
    foreign.message = (
      await otherStaff.api.post('/v1/messages', { recipientId: otherMember.id, title: 'T', body: 'B', channels: ['message_center'], deliverAt: later })
    ).body.id;
    foreign.team = (await other.admin.post('/v1/teams', { name: 'Their team' })).body.id;
    foreign.program = (await other.admin.post('/v1/programs', { name: 'Their program' })).body.id;
    foreign.clientAccount = (await other.admin.post('/v1/client-accounts', { name: 'Their account' })).body.id;
    foreign.cannedResponse = (await other.admin.post('/v1/canned-responses', { title: 'Theirs', body: '<p>x</p>' })).body.id;
    foreign.reason = (await other.admin.post('/v1/chat-request-reasons', { label: 'Theirs' })).body.id;
    for (const [name, value] of Object.entries(foreign)) if (typeof value !== 'string') throw new Error(`seeding ${name} failed`);

    ids.conversation = (await staff.api.post('/v1/conversations', { subject: 'Ours', body: '<p>x</p>', to: [member.id] })).body.id;
    ids.message = (
      await staff.api.post('/v1/messages', { recipientId: member.id, title: 'T', body: 'B', channels: ['message_center'], deliverAt: later })
    ).body.id;
    ids.program = (await org.admin.post('/v1/programs', { name: 'Our program' })).body.id;
    await org.admin.post(`/v1/programs/${ids.program}/enrollments`, { memberId: member.id, careManagerId: staff.id });
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const tokenOf = (caller: Caller) => (caller === 'anonymous' ? undefined : typeof caller === 'object' ? caller.token : api[caller].token);
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ sub: ids.staff, org: org.id, role: 'admin', sid: UNKNOWN_ID, sv: 0, iss: 'tidings', iat: now(), exp: now() + 600 });

  const TEN_MEGABYTES = 'x'.repeat(10 * 1024 * 1024);
  const strings = (field: string) => [null, 42, true, ['a'], { a: 1 }, '\u0000', `abc\u0000def`].map((value) => [field, value] as const);

  /** The corpus. Grouped by endpoint; each line one bad request. */
  const corpus = (): BadRequest[] => [
    // Tokens: expired, wrong issuer, wrong algorithm, forged, of a deactivated user.
    { name: 'no token', as: 'anonymous', method: 'GET', path: '/v1/users', field: 'authorization', status: 401 },
    { name: 'a token that is not a JWT', as: { token: 'not-a-jwt' }, method: 'GET', path: '/v1/users', field: 'authorization', status: 401 },
    {
      name: 'an expired token',
      as: { token: forgedToken({ alg: 'HS256', typ: 'JWT' }, { ...claims(), iat: now() - 7200, exp: now() - 3600 }) },
      method: 'GET',
      path: '/v1/users',
      field: 'authorization',
      status: 401,
    },
    {
      name: 'a token from another issuer',
      as: { token: forgedToken({ alg: 'HS256', typ: 'JWT' }, { ...claims(), iss: 'someone-else' }) },
      method: 'GET',
      path: '/v1/users',
      field: 'authorization',
      status: 401,
    },
    {
      name: 'alg none',
      as: { token: forgedToken({ alg: 'none', typ: 'JWT' }, claims(), null) },
      method: 'GET',
      path: '/v1/users',
      field: 'authorization',
      status: 401,
    },
    {
      name: 'HS512 with the right key',
      as: { token: forgedToken({ alg: 'HS512', typ: 'JWT' }, claims()) },
      method: 'GET',
      path: '/v1/users',
      field: 'authorization',
      status: 401,
    },
    {
      name: 'RS256 header',
      as: { token: forgedToken({ alg: 'RS256', typ: 'JWT' }, claims(), 'public key as hmac') },
      method: 'GET',
      path: '/v1/users',
      field: 'authorization',
      status: 401,
    },
    {
      name: 'signed with another key',
      as: { token: forgedToken({ alg: 'HS256', typ: 'JWT' }, claims(), 'another-secret-entirely-0123456789') },
      method: 'GET',
      path: '/v1/users',
      field: 'authorization',
      status: 401,
    },
    {
      name: 'valid signature, no session',
      as: { token: forgedToken({ alg: 'HS256', typ: 'JWT' }, claims()) },
      method: 'GET',
      path: '/v1/users',
      field: 'authorization',
      status: 401,
    },
    { name: 'a deactivated user’s token', as: { token: ids.deactivatedToken }, method: 'GET', path: '/v1/teams', field: 'authorization', status: 401 },
    {
      name: 'Basic instead of Bearer',
      as: 'anonymous',
      method: 'GET',
      path: '/v1/users',
      headers: { authorization: 'Basic YTpi' },
      field: 'authorization',
      status: 401,
    },

    // Login, refresh, passwords.
    ...strings('email').map(([field, value]) => ({
      name: `login email ${JSON.stringify(value)}`,
      as: 'anonymous' as const,
      method: 'POST' as const,
      path: '/v1/auth/login',
      body: { email: value, password: 'x' },
      field,
    })),
    {
      name: 'login with an unknown field',
      as: 'anonymous',
      method: 'POST',
      path: '/v1/auth/login',
      body: { email: 'a@b.org', password: 'x', admin: true },
      field: 'admin',
    },
    {
      name: 'login with a 10 MB password',
      as: 'anonymous',
      method: 'POST',
      path: '/v1/auth/login',
      body: { email: 'a@b.org', password: TEN_MEGABYTES },
      field: 'body',
      status: 413,
    },
    {
      name: 'login as text/plain',
      as: 'anonymous',
      method: 'POST',
      path: '/v1/auth/login',
      raw: { body: '{"email":"a@b.org","password":"x"}', contentType: 'text/plain' },
      field: 'email',
    },
    {
      name: 'login with malformed JSON',
      as: 'anonymous',
      method: 'POST',
      path: '/v1/auth/login',
      raw: { body: '{"email":', contentType: 'application/json' },
      field: 'body',
    },
    {
      name: 'login with deep JSON',
      as: 'anonymous',
      method: 'POST',
      path: '/v1/auth/login',
      raw: { body: `{"email":"a@b.org","password":"x","deep":${nestedJson(10_000)}}`, contentType: 'application/json' },
      field: 'deep',
    },
    { name: 'refresh token as a number', as: 'anonymous', method: 'POST', path: '/v1/auth/refresh', body: { refreshToken: 42 }, field: 'refreshToken' },
    { name: 'refresh token with NUL', as: 'anonymous', method: 'POST', path: '/v1/auth/refresh', body: { refreshToken: 'a\u0000b' }, field: 'refreshToken' },
    {
      name: 'reset with a null token',
      as: 'anonymous',
      method: 'POST',
      path: '/v1/auth/reset-password',
      body: { token: null, newPassword: 'a fine new passphrase' },
      field: 'token',
    },
    {
      name: 'reset with a made-up token',
      as: 'anonymous',
      method: 'POST',
      path: '/v1/auth/reset-password',
      body: { token: 'made-up', newPassword: 'a fine new passphrase' },
      field: 'token',
    },
    {
      name: 'new password as a number',
      as: 'staff',
      method: 'POST',
      path: '/v1/me/password',
      body: { currentPassword: 'a long test password', newPassword: 123456789012 },
      field: 'newPassword',
    },
    {
      name: 'new password too common',
      as: 'staff',
      method: 'POST',
      path: '/v1/me/password',
      body: { currentPassword: 'a long test password', newPassword: 'qwerty123456' },
      field: 'newPassword',
      status: 422,
    },
    {
      name: 'password reset for a foreign user',
      as: 'admin',
      method: 'POST',
      path: () => `/v1/users/${foreign.user}/password-reset`,
      field: 'id',
      status: 404,
    },
    { name: 'password reset for a malformed id', as: 'admin', method: 'POST', path: '/v1/users/42/password-reset', field: 'id' },

    // Organisations and settings.
    {
      name: 'organisation without the bootstrap token',
      as: 'anonymous',
      method: 'POST',
      path: '/v1/organizations',
      body: { name: 'x', admin: { email: 'boot@example.org', name: 'B', password: 'a long test password' } },
      field: 'authorization',
      status: 401,
    },
    {
      name: 'settings: notificationMode null',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { notificationMode: null },
      field: 'notificationMode',
    },
    {
      name: 'settings: reminder as a string',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { unreadReminderMinutes: '10' },
      field: 'unreadReminderMinutes',
    },
    {
      name: 'settings: session idle 1 minute',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { sessionIdleMinutes: 1 },
      field: 'sessionIdleMinutes',
    },
    {
      name: 'settings: session idle as text',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { sessionIdleMinutes: 'thirty' },
      field: 'sessionIdleMinutes',
    },
    { name: 'settings: unknown field', as: 'admin', method: 'PATCH', path: '/v1/organization/settings', body: { superpowers: true }, field: 'superpowers' },
    {
      name: 'settings: NUL in the time zone',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { timezone: 'UTC\u0000' },
      field: 'timezone',
    },
    {
      name: 'settings: a foreign read-notification user',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { readNotificationUserIds: [UNKNOWN_ID] },
      field: 'readNotificationUserIds',
      status: 422,
    },
    {
      name: 'settings: a member as read-notification user',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { readNotificationUserIds: [ids.member] },
      field: 'readNotificationUserIds',
      status: 422,
    },
    {
      name: 'settings: malformed ids',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { readNotificationUserIds: ['nope'] },
      field: 'readNotificationUserIds',
    },
    {
      name: 'settings: business hours ending first',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { chatRequests: { businessHours: { timezone: 'UTC', days: [1], start: '17:00', end: '08:00' } } },
      field: 'chatRequests.businessHours.end',
      status: 422,
    },
    {
      name: 'settings: quiet hours as a string',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      body: { quietHours: '21-08' },
      field: 'quietHours',
    },
    {
      name: 'settings: deep JSON',
      as: 'admin',
      method: 'PATCH',
      path: '/v1/organization/settings',
      raw: { body: `{"chatRequests":${nestedJson(50)}}`, contentType: 'application/json' },
      field: 'chatRequests',
    },

    // Users.
    ...strings('name').map(([field, value]) => ({
      name: `new user name ${JSON.stringify(value)}`,
      as: 'admin' as const,
      method: 'POST' as const,
      path: '/v1/users',
      body: { email: `n${Math.random()}@example.org`, name: value, role: 'member' },
      field,
    })),
    {
      name: 'new user with an unknown role',
      as: 'admin',
      method: 'POST',
      path: '/v1/users',
      body: { email: 'r@example.org', name: 'R', role: 'owner' },
      field: 'role',
    },
    {
      name: 'new user with a phone as a number',
      as: 'admin',
      method: 'POST',
      path: '/v1/users',
      body: { email: 'p@example.org', name: 'P', role: 'member', phone: 15551234567 },
      field: 'phone',
    },
    {
      name: 'new user with a common password',
      as: 'admin',
      method: 'POST',
      path: '/v1/users',
      body: { email: 'w@example.org', name: 'W', role: 'member', password: '1qaz2wsx3edc' },
      field: 'password',
      status: 422,
    },
    {
      name: 'new user with a 10 MB name',
      as: 'admin',
      method: 'POST',
      path: '/v1/users',
      body: { email: 'big@example.org', name: TEN_MEGABYTES, role: 'member' },
      field: 'body',
      status: 413,
    },
    { name: 'a foreign user', as: 'admin', method: 'GET', path: () => `/v1/users/${foreign.user}`, field: 'id', status: 404 },
    { name: 'a malformed user id', as: 'admin', method: 'GET', path: '/v1/users/1%20or%201=1', field: 'id' },
    {
      name: 'patch a foreign user',
      as: 'admin',
      method: 'PATCH',
      path: () => `/v1/users/${foreign.user}`,
      body: { name: 'Mine now' },
      field: 'id',
      status: 404,
    },
    { name: 'patch status null', as: 'admin', method: 'PATCH', path: () => `/v1/users/${ids.member}`, body: { status: null }, field: 'status' },
    {
      name: 'patch coordinator to a foreign user',
      as: 'admin',
      method: 'PATCH',
      path: () => `/v1/users/${ids.member}`,
      body: { coordinatorId: foreign.user },
      field: 'coordinatorId',
      status: 422,
    },
    { name: 'patch an unknown field', as: 'admin', method: 'PATCH', path: () => `/v1/users/${ids.member}`, body: { passwordHash: 'x' }, field: 'passwordHash' },
    { name: 'users filtered with a NUL query', as: 'admin', method: 'GET', path: '/v1/users?role=member%00', field: 'role' },

    // Teams, client accounts, canned responses.
    ...strings('name')
      .slice(0, 4)
      .map(([field, value]) => ({
        name: `team name ${JSON.stringify(value)}`,
        as: 'admin' as const,
        method: 'POST' as const,
        path: '/v1/teams',
        body: { name: value },
        field,
      })),
    {
      name: 'members of a foreign team',
      as: 'admin',
      method: 'POST',
      path: () => `/v1/teams/${foreign.team}/members`,
      body: { userId: ids.staff },
      field: 'id',
      status: 404,
    },
    { name: 'team member id malformed', as: 'admin', method: 'POST', path: () => `/v1/teams/${foreign.team}/members`, body: { userId: 'me' }, field: 'userId' },
    ...strings('name')
      .slice(0, 4)
      .map(([field, value]) => ({
        name: `client account name ${JSON.stringify(value)}`,
        as: 'admin' as const,
        method: 'POST' as const,
        path: '/v1/client-accounts',
        body: { name: value },
        field,
      })),
    {
      name: 'grant on a foreign account',
      as: 'admin',
      method: 'POST',
      path: () => `/v1/client-accounts/${foreign.clientAccount}/access`,
      body: { userId: ids.staff },
      field: 'id',
      status: 404,
    },
    {
      name: 'grant a foreign user',
      as: 'admin',
      method: 'POST',
      path: () => `/v1/client-accounts/${foreign.clientAccount}/access`,
      body: { userId: 42 },
      field: 'userId',
    },
    ...strings('title')
      .slice(0, 5)
      .map(([field, value]) => ({
        name: `canned response title ${JSON.stringify(value)}`,
        as: 'staff' as const,
        method: 'POST' as const,
        path: '/v1/canned-responses',
        body: { title: value, body: '<p>x</p>' },
        field,
      })),
    { name: 'canned response body null', as: 'staff', method: 'POST', path: '/v1/canned-responses', body: { title: 'T', body: null }, field: 'body' },
    {
      name: 'edit a foreign canned response',
      as: 'staff',
      method: 'PATCH',
      path: () => `/v1/canned-responses/${foreign.cannedResponse}`,
      body: { title: 'Mine' },
      field: 'id',
      status: 404,
    },
    {
      name: 'delete a foreign canned response',
      as: 'staff',
      method: 'DELETE',
      path: () => `/v1/canned-responses/${foreign.cannedResponse}`,
      field: 'id',
      status: 404,
    },

    // Scheduled messages and the message center.
    ...strings('title').map(([field, value]) => ({
      name: `message title ${JSON.stringify(value)}`,
      as: 'staff' as const,
      method: 'POST' as const,
      path: '/v1/messages',
      body: { recipientId: ids.member, title: value, body: 'B', channels: ['message_center'] },
      field,
    })),
    {
      name: 'message to a foreign user',
      as: 'staff',
      method: 'POST',
      path: '/v1/messages',
      body: () => ({ recipientId: foreign.user, title: 'T', body: 'B', channels: ['message_center'] }),
      field: 'recipientId',
      status: 422,
    },
    {
      name: 'message with an unknown channel',
      as: 'staff',
      method: 'POST',
      path: '/v1/messages',
      body: { recipientId: UNKNOWN_ID, title: 'T', body: 'B', channels: ['pigeon'] },
      field: 'channels',
    },
    {
      name: 'message channels as a string',
      as: 'staff',
      method: 'POST',
      path: '/v1/messages',
      body: { recipientId: UNKNOWN_ID, title: 'T', body: 'B', channels: 'sms' },
      field: 'channels',
    },
    {
      name: 'message deliverAt as a number',
      as: 'staff',
      method: 'POST',
      path: '/v1/messages',
      body: { recipientId: UNKNOWN_ID, title: 'T', body: 'B', channels: ['sms'], deliverAt: 1767225600 },
      field: 'deliverAt',
    },
    {
      name: 'message deliverAt not a date',
      as: 'staff',
      method: 'POST',
      path: '/v1/messages',
      body: { recipientId: UNKNOWN_ID, title: 'T', body: 'B', channels: ['sms'], deliverAt: 'tomorrow' },
      field: 'deliverAt',
    },
    {
      name: 'message with an unknown variable',
      as: 'staff',
      method: 'POST',
      path: '/v1/messages',
      body: () => ({ recipientId: ids.member, title: 'Hi {{recipient.ssn}}', body: 'B', channels: ['message_center'] }),
      field: 'title',
      status: 422,
    },
    { name: 'a foreign message', as: 'staff', method: 'GET', path: () => `/v1/messages/${foreign.message}`, field: 'id', status: 404 },
    { name: 'cancel a foreign message', as: 'staff', method: 'POST', path: () => `/v1/messages/${foreign.message}/cancel`, field: 'id', status: 404 },
    {
      name: 'reschedule with a string date',
      as: 'staff',
      method: 'PATCH',
      path: () => `/v1/messages/${ids.message}`,
      body: { deliverAt: 'soon' },
      field: 'deliverAt',
    },
    { name: 'message list limit as text', as: 'staff', method: 'GET', path: '/v1/messages?limit=many', field: 'limit' },
    { name: 'message list with a forged cursor', as: 'staff', method: 'GET', path: '/v1/messages?cursor=bm9wZQ', field: 'cursor' },
    { name: 'message list recipient malformed', as: 'staff', method: 'GET', path: '/v1/messages?recipientId=x', field: 'recipientId' },
    {
      name: 'read a foreign message-center message',
      as: 'member',
      method: 'POST',
      path: () => `/v1/me/messages/${foreign.message}/read`,
      field: 'id',
      status: 404,
    },
    { name: 'remove a malformed message-center id', as: 'member', method: 'DELETE', path: '/v1/me/messages/zzz', field: 'id' },

    // Conversations.
    ...strings('subject').map(([field, value]) => ({
      name: `conversation subject ${JSON.stringify(value)}`,
      as: 'staff' as const,
      method: 'POST' as const,
      path: '/v1/conversations',
      body: { subject: value, body: '<p>x</p>', to: [UNKNOWN_ID] },
      field,
    })),
    {
      name: 'conversation body null',
      as: 'staff',
      method: 'POST',
      path: '/v1/conversations',
      body: { subject: 'S', body: null, to: [UNKNOWN_ID] },
      field: 'body',
    },
    {
      name: 'conversation to as a string',
      as: 'staff',
      method: 'POST',
      path: '/v1/conversations',
      body: { subject: 'S', body: '<p>x</p>', to: 'everyone' },
      field: 'to',
    },
    {
      name: 'conversation to a foreign user',
      as: 'staff',
      method: 'POST',
      path: '/v1/conversations',
      body: () => ({ subject: 'S', body: '<p>x</p>', to: [foreign.user] }),
      field: 'to',
      status: 422,
    },
    {
      name: 'conversation with a foreign client account',
      as: 'staff',
      method: 'POST',
      path: '/v1/conversations',
      body: () => ({ subject: 'S', body: '<p>x</p>', to: [ids.member], clientAccountId: foreign.clientAccount }),
      field: 'clientAccountId',
      status: 422,
    },
    {
      name: 'conversation readReceipt as a string',
      as: 'staff',
      method: 'POST',
      path: '/v1/conversations',
      body: { subject: 'S', body: '<p>x</p>', to: [UNKNOWN_ID], readReceipt: 'yes' },
      field: 'readReceipt',
    },
    {
      name: 'conversation with too much markup',
      as: 'staff',
      method: 'POST',
      path: '/v1/conversations',
      body: () => ({ subject: 'S', body: '<b>'.repeat(87_000), to: [ids.member] }),
      field: 'body',
      status: 422,
    },
    { name: 'a foreign conversation', as: 'staff', method: 'GET', path: () => `/v1/conversations/${foreign.conversation}`, field: 'id', status: 404 },
    {
      name: 'reply in a foreign conversation',
      as: 'staff',
      method: 'POST',
      path: () => `/v1/conversations/${foreign.conversation}/messages`,
      body: { body: '<p>hi</p>' },
      field: 'id',
      status: 404,
    },
    {
      name: 'reply body as a number',
      as: 'staff',
      method: 'POST',
      path: () => `/v1/conversations/${ids.conversation}/messages`,
      body: { body: 42 },
      field: 'body',
    },
    {
      name: 'reply with NUL',
      as: 'staff',
      method: 'POST',
      path: () => `/v1/conversations/${ids.conversation}/messages`,
      body: { body: '<p>a\u0000b</p>' },
      field: 'body',
    },
    {
      name: 'reply with foreign attachment ids',
      as: 'staff',
      method: 'POST',
      path: () => `/v1/conversations/${ids.conversation}/messages`,
      body: { body: '<p>x</p>', attachmentIds: ['x'] },
      field: 'attachmentIds',
    },
    {
      name: 'add participants, cc as an object',
      as: 'staff',
      method: 'POST',
      path: () => `/v1/conversations/${ids.conversation}/participants`,
      body: { cc: { id: ids.member } },
      field: 'cc',
    },
    {
      name: 'read through a negative sequence',
      as: 'member',
      method: 'POST',
      path: () => `/v1/conversations/${ids.conversation}/read`,
      body: { throughSequence: -1 },
      field: 'throughSequence',
    },
    {
      name: 'read through a string sequence',
      as: 'member',
      method: 'POST',
      path: () => `/v1/conversations/${ids.conversation}/read`,
      body: { throughSequence: '5' },
      field: 'throughSequence',
    },
    {
      name: 'history with a forged cursor',
      as: 'member',
      method: 'GET',
      path: () => `/v1/conversations/${ids.conversation}/messages?before=bm9wZQ`,
      field: 'before',
    },
    { name: 'history limit 0', as: 'member', method: 'GET', path: () => `/v1/conversations/${ids.conversation}/messages?limit=0`, field: 'limit' },
    {
      name: 'history of a foreign conversation',
      as: 'member',
      method: 'GET',
      path: () => `/v1/conversations/${foreign.conversation}/messages`,
      field: 'id',
      status: 404,
    },
    { name: 'close a malformed id', as: 'staff', method: 'POST', path: '/v1/conversations/abc/close', field: 'id' },
    { name: 'inbox folder unknown', as: 'staff', method: 'GET', path: '/v1/conversations?folder=trash', field: 'folder' },
    { name: 'inbox with a forged cursor', as: 'staff', method: 'GET', path: '/v1/conversations?cursor=WyJ4IiwieSJd', field: 'cursor' },
    { name: 'inbox with a NUL in the query', as: 'staff', method: 'GET', path: '/v1/conversations?folder=active%00', field: 'folder' },

    // Attachments: oversized multipart and lying content types.
    {
      name: 'an executable named .png',
      as: 'staff',
      method: 'POST',
      path: '/v1/attachments',
      raw: { body: multipart('photo.png', Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff')) },
      field: 'file',
      status: 415,
    },
    { name: 'a PNG named .pdf', as: 'staff', method: 'POST', path: '/v1/attachments', raw: { body: multipart('report.pdf', PNG) }, field: 'file', status: 415 },
    {
      name: 'an HTML page named .txt',
      as: 'staff',
      method: 'POST',
      path: '/v1/attachments',
      raw: { body: multipart('notes.txt', Buffer.from('<html><script>alert(1)</script></html>')) },
      field: 'file',
      status: 415,
    },
    {
      name: 'an upload past 25 MB',
      as: 'staff',
      method: 'POST',
      path: '/v1/attachments',
      raw: { body: multipart('big.txt', Buffer.alloc(26 * 1024 * 1024, 'a')) },
      field: 'file',
      status: 413,
    },
    {
      name: 'an upload in the wrong field',
      as: 'staff',
      method: 'POST',
      path: '/v1/attachments',
      raw: { body: multipart('a.txt', Buffer.from('hello'), 'document') },
      field: 'file',
    },
    { name: 'an empty upload', as: 'staff', method: 'POST', path: '/v1/attachments', raw: { body: multipart('a.txt', Buffer.alloc(0)) }, field: 'file' },
    { name: 'JSON to the upload route', as: 'staff', method: 'POST', path: '/v1/attachments', body: { file: 'aGVsbG8=' }, field: 'file' },
    {
      name: 'multipart to a JSON route',
      as: 'staff',
      method: 'POST',
      path: '/v1/conversations',
      raw: { body: multipart('a.txt', Buffer.from('x')) },
      field: 'subject',
    },
    {
      name: 'a malformed multipart body',
      as: 'staff',
      method: 'POST',
      path: '/v1/attachments',
      raw: { body: '--x\r\nnot a part', contentType: 'multipart/form-data; boundary=x' },
      field: 'body',
    },
    { name: 'a foreign attachment', as: 'staff', method: 'GET', path: `/v1/attachments/${UNKNOWN_ID}`, field: 'id', status: 404 },
    { name: 'a malformed attachment id', as: 'staff', method: 'GET', path: '/v1/attachments/..%2F..%2Fetc%2Fpasswd', field: 'id' },

    // Programs, enrolments, reasons, chat requests, tasks, coverage.
    ...strings('name')
      .slice(0, 4)
      .map(([field, value]) => ({
        name: `program name ${JSON.stringify(value)}`,
        as: 'admin' as const,
        method: 'POST' as const,
        path: '/v1/programs',
        body: { name: value },
        field,
      })),
    {
      name: 'patch a foreign program',
      as: 'admin',
      method: 'PATCH',
      path: () => `/v1/programs/${foreign.program}`,
      body: { name: 'Mine' },
      field: 'id',
      status: 404,
    },
    {
      name: 'enrol into a foreign program',
      as: 'admin',
      method: 'POST',
      path: () => `/v1/programs/${foreign.program}/enrollments`,
      body: () => ({ memberId: ids.member, careManagerId: ids.staff }),
      field: 'id',
      status: 404,
    },
    {
      name: 'enrol a foreign member',
      as: 'admin',
      method: 'POST',
      path: () => `/v1/programs/${ids.program}/enrollments`,
      body: () => ({ memberId: foreign.user, careManagerId: ids.staff }),
      field: 'memberId',
      status: 422,
    },
    {
      name: 'enrol with a malformed care manager',
      as: 'admin',
      method: 'POST',
      path: () => `/v1/programs/${ids.program}/enrollments`,
      body: () => ({ memberId: ids.member, careManagerId: 'cm' }),
      field: 'careManagerId',
    },
    { name: 'reason label null', as: 'admin', method: 'POST', path: '/v1/chat-request-reasons', body: { label: null }, field: 'label' },
    {
      name: 'reason active as a string',
      as: 'admin',
      method: 'POST',
      path: '/v1/chat-request-reasons',
      body: { label: 'L', active: 'false' },
      field: 'active',
    },
    {
      name: 'patch a foreign reason',
      as: 'admin',
      method: 'PATCH',
      path: () => `/v1/chat-request-reasons/${foreign.reason}`,
      body: { label: 'Mine' },
      field: 'id',
      status: 404,
    },
    {
      name: 'chat request with a foreign reason',
      as: 'member',
      method: 'POST',
      path: '/v1/me/chat-requests',
      body: () => ({ programId: ids.program, reasonId: foreign.reason, comment: 'hi' }),
      field: 'reasonId',
      status: 422,
    },
    {
      name: 'chat request comment as a number',
      as: 'member',
      method: 'POST',
      path: '/v1/me/chat-requests',
      body: { reasonId: UNKNOWN_ID, comment: 7 },
      field: 'comment',
    },
    {
      name: 'chat request comment with NUL',
      as: 'member',
      method: 'POST',
      path: '/v1/me/chat-requests',
      body: { reasonId: UNKNOWN_ID, comment: 'a\u0000' },
      field: 'comment',
    },
    { name: 'a malformed chat request id', as: 'member', method: 'GET', path: '/v1/me/chat-requests/42', field: 'id' },
    { name: 'tasks with an unknown status', as: 'staff', method: 'GET', path: '/v1/tasks?status=maybe', field: 'status' },
    { name: 'tasks with breached=yes', as: 'staff', method: 'GET', path: '/v1/tasks?breached=yes', field: 'breached' },
    { name: 'close a task without an outcome', as: 'staff', method: 'POST', path: `/v1/tasks/${UNKNOWN_ID}/close`, body: {}, field: 'outcome' },
    {
      name: 'reassign to a malformed id',
      as: 'staff',
      method: 'POST',
      path: `/v1/tasks/${UNKNOWN_ID}/reassign`,
      body: { assigneeId: 'x' },
      field: 'assigneeId',
    },
    {
      name: 'coverage ending before it starts',
      as: 'admin',
      method: 'POST',
      path: '/v1/coverage',
      body: () => ({ userId: ids.staff, coveredById: org.adminId, from: '2027-01-02T00:00:00Z', until: '2027-01-01T00:00:00Z' }),
      field: 'until',
    },
    {
      name: 'coverage by oneself',
      as: 'admin',
      method: 'POST',
      path: '/v1/coverage',
      body: () => ({ userId: ids.staff, coveredById: ids.staff, from: '2027-01-01T00:00:00Z', until: '2027-01-02T00:00:00Z' }),
      field: 'coveredById',
    },
    {
      name: 'coverage dates as numbers',
      as: 'admin',
      method: 'POST',
      path: '/v1/coverage',
      body: () => ({ userId: ids.staff, coveredById: org.adminId, from: 1, until: 2 }),
      field: 'from',
    },

    // Campaigns and push subscriptions.
    {
      name: 'campaign audience null',
      as: 'admin',
      method: 'POST',
      path: '/v1/campaigns',
      body: { name: 'C', title: 'T', body: 'B', channels: ['message_center'], audience: null },
      field: 'audience',
    },
    {
      name: 'campaign audience of malformed ids',
      as: 'admin',
      method: 'POST',
      path: '/v1/campaigns',
      body: { name: 'C', title: 'T', body: 'B', channels: ['message_center'], audience: { userIds: ['x'] } },
      field: 'audience.userIds',
    },
    {
      name: 'campaign channels empty',
      as: 'admin',
      method: 'POST',
      path: '/v1/campaigns',
      body: { name: 'C', title: 'T', body: 'B', channels: [], audience: { userIds: [UNKNOWN_ID] } },
      field: 'channels',
    },
    {
      name: 'campaign fallback unknown',
      as: 'admin',
      method: 'POST',
      path: '/v1/campaigns',
      body: { name: 'C', title: 'T', body: 'B', channels: ['email'], audience: { userIds: [UNKNOWN_ID] }, fallback: { email: 'fax' } },
      field: 'fallback.email',
    },
    { name: 'campaign list with a forged cursor', as: 'admin', method: 'GET', path: '/v1/campaigns?cursor=eHl6', field: 'cursor' },
    { name: 'an unknown campaign', as: 'admin', method: 'GET', path: `/v1/campaigns/${UNKNOWN_ID}`, field: 'id', status: 404 },
    {
      name: 'push subscription endpoint null',
      as: 'member',
      method: 'POST',
      path: '/v1/me/push-subscriptions',
      body: { endpoint: null, keys: { p256dh: 'a', auth: 'b' } },
      field: 'endpoint',
    },
    {
      name: 'push subscription to a private host',
      as: 'member',
      method: 'POST',
      path: '/v1/me/push-subscriptions',
      body: { endpoint: 'https://169.254.169.254/latest', keys: { p256dh: 'BPd8Xc6d6vZk4m0iQ2X2Z9e8h6Y8k2lQ6u9x3sQ4b2Wc', auth: 'a1b2c3d4e5f6g7h8' } },
      field: 'endpoint',
      status: 422,
    },
    {
      name: 'push subscription over http',
      as: 'member',
      method: 'POST',
      path: '/v1/me/push-subscriptions',
      body: { endpoint: 'http://push.example.org/x', keys: { p256dh: 'BPd8Xc6d6vZk4m0iQ2X2Z9e8h6Y8k2lQ6u9x3sQ4b2Wc', auth: 'a1b2c3d4e5f6g7h8' } },
      field: 'endpoint',
      status: 422,
    },
  ];

  /** Every row of every table, as a digest per table: equal digests mean nothing was written. */
  const snapshot = async () => {
    const tables = await platform.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public' order by tablename`);
    const digests: Record<string, string> = {};
    for (const { name } of tables) {
      const [{ digest }] = await platform.query<{ digest: string }>(
        `select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from "${name}" t`,
      );
      digests[name] = digest;
    }
    return digests;
  };

  const send = async (request: BadRequest) => {
    const token = tokenOf(request.as);
    const path = typeof request.path === 'function' ? request.path() : request.path;
    const body = typeof request.body === 'function' ? (request.body as () => unknown)() : request.body;
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...request.headers };
    let payload: RequestInit['body'];
    if (request.raw) {
      payload = request.raw.body as RequestInit['body'];
      if (request.raw.contentType) headers['content-type'] = request.raw.contentType;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${platform.baseUrl}${path}`, { method: request.method, headers, body: payload });
    const text = await response.text();
    let parsed: { details?: Array<{ field: string }> } | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, fields: (parsed?.details ?? []).map((d) => d.field) };
  };

  test('at least 120 bad requests across every endpoint: each a 4xx naming the field, none a 500, and nothing written', async () => {
    const cases = corpus();
    expect(cases.length).toBeGreaterThanOrEqual(120);
    // What the seeding set going has settled: its workflows started, their first steps recorded.
    await eventually(async () => expect(await platform.query('select 1 from workflow_outbox')).toEqual([]));
    await sleep(2000);
    const before = await snapshot();
    const wrong: string[] = [];
    for (const request of cases) {
      const answer = await send(request);
      const statusOk = request.status ? answer.status === request.status : answer.status >= 400 && answer.status < 500;
      // Too deep a body names the place where it got too deep, inside the field.
      const named = answer.fields.some((field) => field === request.field || field.startsWith(`${request.field}[`) || field.startsWith(`${request.field}.`));
      if (!statusOk || !named) {
        wrong.push(`${request.name}: ${answer.status} naming [${answer.fields.join(', ')}], expected ${request.status ?? '4xx'} naming ${request.field}`);
      }
    }
    // The API is still answering promptly after the 10 MB strings and the deep JSON.
    const started = Date.now();
    expect((await fetch(`${platform.baseUrl}/health`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const after = await snapshot();
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
    console.log(`bad-input corpus: ${cases.length} requests`);
    expect(wrong).toEqual([]);
    expect(changed).toEqual(['rate_limit_window']);
  }, 300_000);
});

function multipart(filename: string, bytes: Buffer, field = 'file'): FormData {
  const form = new FormData();
  form.append(field, new Blob([bytes]), filename);
  return form;
}
