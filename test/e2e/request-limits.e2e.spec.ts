import { Api, createOrganization, sleep, TestOrganization } from '../support/api.js';
import { addNamedUser, NamedUser, startConversation } from '../support/conversations.js';
import { Platform } from '../support/platform.js';

const PORTAL = 'https://portal.tidings.test';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/**
 * Requests that must not hurt the service (issue 10 §2): security headers, the JSON body limit, CORS for the
 * portal only, whose X-Forwarded-For is believed, and the rate limits every API instance shares.
 */
describe('request limits (end to end)', () => {
  let platform: Platform;
  let org: TestOrganization;
  let staff: NamedUser;
  let member: NamedUser;

  beforeAll(async () => {
    platform = await new Platform({
      env: {
        CORS_ORIGINS: PORTAL,
        CONVERSATION_STARTS_PER_MINUTE: '3',
        CONVERSATION_MESSAGES_PER_MINUTE: '5',
        CONVERSATION_MESSAGES_PER_MINUTE_MEMBER: '2',
        UPLOADS_PER_HOUR: '3',
      },
    }).start();
    org = await createOrganization(platform.baseUrl);
    staff = await addNamedUser(org, 'staff', 'Sam Staff');
    member = await addNamedUser(org, 'member', 'Mia Member');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  /** Fixed windows start over on the minute (the hour): a test that counts waits until it has the window to itself. */
  const awaitFreshWindow = async (windowSeconds: number, needSeconds = 20) => {
    const intoWindow = (Date.now() / 1000) % windowSeconds;
    if (windowSeconds - intoWindow < needSeconds) await sleep((windowSeconds - intoWindow + 1) * 1000);
  };
  const anonymous = () => new Api(platform.baseUrl);
  const login = (email: string, password: string, headers: Record<string, string> = {}, baseUrl = platform.baseUrl) =>
    new Api(baseUrl).post('/v1/auth/login', { email, password }, headers);

  describe('headers', () => {
    test('helmet: scripts only from this origin, no framing, no sniffing, no X-Powered-By', async () => {
      const response = await fetch(`${platform.baseUrl}/health`);
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toContain("object-src 'none'");
      expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(response.headers.get('x-powered-by')).toBeNull();
    });

    test('the API docs work under that policy: their scripts are files, none inline', async () => {
      const page = await fetch(`${platform.baseUrl}/docs/`);
      expect(page.status).toBe(200);
      const scripts = [...(await page.text()).matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, content] of scripts) {
        expect(attributes).toMatch(/\bsrc=/);
        expect(content.trim()).toBe('');
      }
    });

    test('the portal is served under the same policy, its scripts files, none inline, at every route of its own', async () => {
      for (const route of ['/', '/chats', '/inbox/5f6c']) {
        const page = await fetch(`${platform.baseUrl}${route}`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
        expect(page.headers.get('cache-control')).toBe('no-cache');
        const scripts = [...(await page.text()).matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
        expect(scripts.length).toBeGreaterThan(0);
        for (const [, attributes, content] of scripts) {
          expect(attributes).toMatch(/\bsrc="\/assets\//);
          expect(content.trim()).toBe('');
        }
      }
      // An API path the API does not know stays the API's JSON 404, never the page.
      const unknown = await fetch(`${platform.baseUrl}/v1/no-such-thing`);
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toMatch(/json/);
    });

    test('every answer carries a request id: the caller’s when it is plain, else a new one', async () => {
      const given = await fetch(`${platform.baseUrl}/health`, { headers: { 'x-request-id': 'lb-7f3a.42' } });
      expect(given.headers.get('x-request-id')).toBe('lb-7f3a.42');
      for (const forged of ['<script>alert(1)</script>', 'x'.repeat(200), 'two words']) {
        const response = await fetch(`${platform.baseUrl}/health`, { headers: { 'x-request-id': forged } });
        expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('bodies', () => {
    test('a JSON body up to 1 MB is read; a larger one is a 413 naming the body, and the API stays responsive', async () => {
      const nearlyOneMegabyte = await anonymous().post('/v1/auth/login', { email: 'x@example.org', password: 'p'.repeat(900_000) });
      expect(nearlyOneMegabyte.status).not.toBe(413);
      const tooLarge = await anonymous().post('/v1/auth/login', { email: 'x@example.org', password: 'p'.repeat(1_100_000) });
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body.details).toEqual([{ field: 'body', message: 'request body is too large' }]);
      expect((await anonymous().get('/health')).status).toBe(200);
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string) =>
      fetch(`${platform.baseUrl}/v1/conversations`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });

    test("the portal's origin may call the API with credentials", async () => {
      const response = await preflight(PORTAL);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(PORTAL);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    });

    test('any other origin gets no CORS headers, so browsers keep its pages from reading answers', async () => {
      for (const origin of ['https://evil.example', 'https://portal.tidings.test.evil.example', 'http://portal.tidings.test']) {
        const response = await preflight(origin);
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        const simple = await fetch(`${platform.baseUrl}/health`, { headers: { origin } });
        expect(simple.headers.get('access-control-allow-origin')).toBeNull();
      }
    });
  });

  describe('logins', () => {
    test('30 parallel wrong passwords for one email: at most 5 reach the password check, the rest are 429 with Retry-After', async () => {
      const victim = await org.addUser('member');
      const answers = await Promise.all(Array.from({ length: 30 }, () => login(victim.email, 'a wrong password guess')));
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(25);
      expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
      const refused = answers.find((answer) => answer.status === 429)!;
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.body.details).toEqual([{ field: 'email', message: expect.stringMatching(/^too many failed logins for this email; try again in \d+ s$/) }]);
      // Locked even with the right password, until the window ends; other users are not.
      expect((await login(victim.email, 'a long test password')).status).toBe(429);
      expect((await login(staff.email, 'a long test password')).status).toBe(200);
    });

    test('a successful login clears its failures, so a typo now and then never locks anybody out', async () => {
      const typist = await org.addUser('member');
      for (let round = 0; round < 3; round++) {
        for (let typo = 0; typo < 4; typo++) expect((await login(typist.email, 'a typo')).status).toBe(401);
        expect((await login(typist.email, 'a long test password')).status).toBe(200);
      }
    });

    test('TRUST_PROXY decides whose X-Forwarded-For is believed: not trusted, a client cannot dodge the per-address limit by naming others', async () => {
      const limits = { LOGIN_FAILURES_PER_IP: '3' };
      const untrusting = await platform.startApi({ ...limits, TRUST_PROXY: 'false' });
      const trusting = await platform.startApi({ ...limits, TRUST_PROXY: 'loopback' });
      // This client's own address counted the earlier tests' failures: start it from zero.
      await platform.query(`delete from rate_limit_window where key like 'login:ip:%'`);
      // Behind a trusted proxy (here: loopback), each forwarded address has its own count.
      const viaProxy = [];
      for (let i = 0; i < 4; i++) {
        viaProxy.push((await login(`nobody-${i}@example.org`, 'guess', { 'x-forwarded-for': `198.51.100.${i + 1}` }, trusting.baseUrl)).status);
      }
      expect(viaProxy).toEqual([401, 401, 401, 401]);
      // Not trusted: the forwarded addresses are ignored, all four come from this one client.
      const direct = [];
      for (let i = 0; i < 4; i++) {
        direct.push((await login(`someone-${i}@example.org`, 'guess', { 'x-forwarded-for': `203.0.113.${i + 1}` }, untrusting.baseUrl)).status);
      }
      expect(direct).toEqual([401, 401, 401, 429]);
    }, 60_000);
  });

  describe('conversations', () => {
    test('messages per user per minute, shared by every API instance: over the limit is 429 with Retry-After, members lower', async () => {
      await awaitFreshWindow(60);
      const other = await platform.startApi();
      const conversation = await startConversation(staff.api, { subject: 'Limits', body: '<p>first</p>', to: [member.id] });
      const post = (api: Api, text: string) => api.post(`/v1/conversations/${conversation.id}/messages`, { body: `<p>${text}</p>` });
      const staffElsewhere = new Api(other.baseUrl, staff.api.token);
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await post(i % 2 ? staffElsewhere : staff.api, `reply ${i}`)).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
      const refused = await post(staffElsewhere, 'one more');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(refused.body.details).toEqual([{ field: 'message', message: expect.stringMatching(/^too many messages posted in a minute/) }]);
      const rows = await platform.query<{ n: number }>('select count(*)::int as n from conversation_message where conversation_id = $1', [conversation.id]);
      expect(rows[0].n).toBe(6);

      expect((await post(member.api, 'a')).status).toBe(201);
      expect((await post(member.api, 'b')).status).toBe(201);
      expect((await post(member.api, 'c')).status).toBe(429);
    }, 60_000);

    test('conversation starts per user per minute; a refused start writes nothing', async () => {
      await awaitFreshWindow(60);
      const starter = await addNamedUser(org, 'staff', 'Stan Starter');
      const start = () => starter.api.post('/v1/conversations', { subject: 'Hello', body: '<p>hi</p>', to: [member.id] });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await start()).status);
      expect(statuses).toEqual([201, 201, 201, 429]);
      const rows = await platform.query<{ n: number }>('select count(*)::int as n from conversation where created_by_id = $1', [starter.id]);
      expect(rows[0].n).toBe(3);
    });
  });

  describe('uploads', () => {
    const upload = async (api: Api, bytes = PNG) => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: 'image/png' }), 'photo.png');
      const response = await fetch(`${api.baseUrl}/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
      return { status: response.status, headers: response.headers, body: (await response.json()) as { details?: unknown } };
    };

    test('uploads per user per hour', async () => {
      await awaitFreshWindow(3600);
      const uploader = await addNamedUser(org, 'staff', 'Una Uploader');
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await upload(uploader.api)).status);
      expect(statuses).toEqual([201, 201, 201, 429]);
      expect((await upload(staff.api)).status).toBe(201);
    });

    test("an organisation's storage quota: an upload past it is a 413 naming the file, and parallel uploads cannot overshoot it", async () => {
      // An API whose quota is nine of these files, shared by one organisation's uploads.
      const quotaApi = await platform.startApi({ ORG_STORAGE_QUOTA_BYTES: String(9 * PNG.length), UPLOADS_PER_HOUR: '100' });
      const small = await createOrganization(quotaApi.baseUrl);
      const uploaders = await Promise.all([small.addUser('staff'), small.addUser('staff'), small.addUser('staff')]);
      // createOrganization logged them in through the quota API, so their uploads go there.
      const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => upload(uploaders[i % 3].api)));
      expect(answers.filter((answer) => answer.status === 201)).toHaveLength(9);
      const refused = answers.filter((answer) => answer.status === 413);
      expect(refused).toHaveLength(6);
      expect(refused[0].body.details).toEqual([{ field: 'file', message: expect.stringContaining("your organisation's storage past its quota") }]);
      const [{ used }] = await platform.query<{ used: number }>('select coalesce(sum(size), 0)::int as used from attachment where organization_id = $1', [
        small.id,
      ]);
      expect(used).toBe(9 * PNG.length);
    }, 60_000);
  });
});
