import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../libs/config/app-config.js';
import { REPO_ROOT } from '../support/paths.js';

/** A production configuration whose secrets pass: each test varies one thing. */
const PRODUCTION = {
  NODE_ENV: 'production',
  TIDINGS_BOOTSTRAP_TOKEN: 'Zr4mX9qT2vLc8pWn5bHj7kYs3dGf6aEu',
  JWT_SECRET: 'N8cV1xQ5tR7mK2wP9zL4jH6gF3dS0aBy',
  EMAIL_REPLY_SECRET: 'u5Tq8Wm2Rz7Kc4Xn9Vb1Lp6Jd3Hs0Gf8',
};

describe('configuration', () => {
  test('a fresh machine needs no settings: log providers, a local database and Temporal', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/tidings',
      temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'tidings' },
      email: { provider: 'log' },
      sms: { provider: 'log' },
      push: { provider: 'log', allowPrivateHosts: false },
      authStatusCacheMs: 2000,
    });
  });

  test('every bad value is reported at once, each with its reason', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        NODE_ENV: 'test',
        PORT: 'eighty',
        EMAIL_PROVIDER: 'sendgrid',
        SMS_PROVIDER: 'carrier-pigeon',
        PUSH_PROVIDER: 'webpush',
        VAPID_SUBJECT: 'ops@example.org',
        DATABASE_URL: 'not a url',
        AUTH_STATUS_CACHE_MS: '5000',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        'PORT must be an integer from 0 to 65535 (got "eighty")',
        'SMS_PROVIDER must be one of log, twilio (got "carrier-pigeon")',
        'SENDGRID_API_KEY is required when EMAIL_PROVIDER=sendgrid',
        'VAPID_PUBLIC_KEY is required when PUSH_PROVIDER=webpush',
        'VAPID_SUBJECT must be a mailto: or https: URL',
        'DATABASE_URL must be a URL (got "not a url")',
        'AUTH_STATUS_CACHE_MS must be an integer from 0 to 2000 (got "5000")',
      ]),
    );
  });

  test('production refuses to start with the development secrets', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /TIDINGS_BOOTSTRAP_TOKEN is required in production[\s\S]*JWT_SECRET is required in production/,
    );
    expect(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'short' })).toThrow('JWT_SECRET must be at least 16 characters long');
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('EMAIL_REPLY_SECRET is required in production');
  });

  test('production is the default: without NODE_ENV saying development or test, the development secrets are refused', () => {
    for (const NODE_ENV of [undefined, '', 'staging', 'Production']) {
      expect(() => loadConfig({ NODE_ENV })).toThrow('JWT_SECRET is required in production');
    }
    expect(loadConfig(PRODUCTION).mode).toBe('production');
    expect(loadConfig({ NODE_ENV: 'development' }).mode).toBe('development');
  });

  test('in production, every secret must be at least 32 bytes and none a known development or example value; the error names the variable, never the value', () => {
    const weak = (name: string, value: string) => {
      try {
        loadConfig({ ...PRODUCTION, [name]: value });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).not.toContain(value);
        return (error as ConfigError).problems.filter((problem) => problem.startsWith(`${name} `));
      }
      return [];
    };
    for (const name of ['TIDINGS_BOOTSTRAP_TOKEN', 'JWT_SECRET', 'EMAIL_REPLY_SECRET', 'INBOUND_EMAIL_SECRET']) {
      expect(weak(name, 'x'.repeat(31))).toEqual([`${name} must be at least 32 bytes long in production`]);
      expect(weak(name, 'dev-jwt-secret-change-me-please')).toEqual([expect.stringContaining(`${name} is a development or example value`)]);
      expect(weak(name, 'test-jwt-secret-0123456789abcdef')).toEqual([expect.stringContaining(`${name} is a development or example value`)]);
      expect(weak(name, 'an-example-secret-which-is-long-enough-0123')).toHaveLength(1);
      expect(weak(name, 'q7Vd0m3J2kYp8sXc1nRb6tLw9zHf4gAe')).toEqual([]);
    }
    // The same values pass where they belong: on a developer's machine and in the tests.
    expect(loadConfig({ NODE_ENV: 'development', JWT_SECRET: 'test-jwt-secret-0123456789abcdef' }).jwtSecret).toBe('test-jwt-secret-0123456789abcdef');
  });

  test('every secret placeholder in .env.example is refused in production', () => {
    const example = fs.readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
    const placeholders = [...example.matchAll(/^([A-Z_]*(?:SECRET|TOKEN)[A-Z_]*)=(.+)$/gm)].map(([, name, value]) => [name, value.trim()]);
    expect(placeholders.map(([name]) => name)).toEqual(expect.arrayContaining(['TIDINGS_BOOTSTRAP_TOKEN', 'JWT_SECRET', 'EMAIL_REPLY_SECRET']));
    for (const [name, value] of placeholders) {
      expect(() => loadConfig({ ...PRODUCTION, [name]: value })).toThrow(new RegExp(`${name} (is a development or example value|must be at least 32 bytes)`));
    }
  });

  test('the portal links to the Temporal UI: the dev server’s in development, elsewhere only where TEMPORAL_UI_URL says', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).temporal.uiUrl).toBe('http://localhost:8233');
    expect(loadConfig(PRODUCTION).temporal.uiUrl).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'test' }).temporal.uiUrl).toBeUndefined();
    expect(loadConfig({ ...PRODUCTION, TEMPORAL_UI_URL: 'https://tidings.tmprl.cloud/' }).temporal.uiUrl).toBe('https://tidings.tmprl.cloud');
    expect(() => loadConfig({ NODE_ENV: 'test', TEMPORAL_UI_URL: 'not a url' })).toThrow('TEMPORAL_UI_URL must be a URL');
  });

  test('HTTP: a 1 MB JSON body by default, CORS for the listed origins only, and TRUST_PROXY as Express takes it', () => {
    const test = { NODE_ENV: 'test' };
    expect(loadConfig(test).http).toEqual({ jsonBodyLimitBytes: 1024 * 1024, corsOrigins: [], trustProxy: ['loopback'] });
    expect(loadConfig({ ...test, CORS_ORIGINS: 'https://portal.example.org, http://localhost:5173' }).http.corsOrigins).toEqual([
      'https://portal.example.org',
      'http://localhost:5173',
    ]);
    expect(() => loadConfig({ ...test, CORS_ORIGINS: 'https://portal.example.org/app' })).toThrow('CORS_ORIGINS must be a comma-separated list of origins');
    expect(() => loadConfig({ ...test, CORS_ORIGINS: '*' })).toThrow('CORS_ORIGINS must be a comma-separated list of origins');
    expect(loadConfig({ ...test, TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
    expect(loadConfig({ ...test, TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ ...test, TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8, 203.0.113.7' }).http.trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '203.0.113.7',
    ]);
    // `true` would believe any X-Forwarded-For, so a client could name any address it likes.
    for (const bad of ['true', 'everyone', '10.0.0.0/33', '10.0.0']) {
      expect(() => loadConfig({ ...test, TRUST_PROXY: bad })).toThrow(`TRUST_PROXY must be false, a number of proxy hops`);
    }
  });

  test('reply by email: a bad reply domain or a short inbound secret is refused, and inbound email is off until a secret is set', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', EMAIL_REPLY_DOMAIN: 'not a domain' })).toThrow('EMAIL_REPLY_DOMAIN must be a domain name (got "not a domain")');
    expect(() => loadConfig({ NODE_ENV: 'test', INBOUND_EMAIL_SECRET: 'short' })).toThrow('INBOUND_EMAIL_SECRET must be at least 16 characters long');
    expect(loadConfig({ NODE_ENV: 'test' }).email.inboundSecret).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'test', EMAIL_REPLY_DOMAIN: 'Reply.Example.ORG' }).email.replyDomain).toBe('reply.example.org');
  });

  test('PUSH_ALLOW_PRIVATE_HOSTS is off unless set to true, must be true or false, and is refused in production', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).push.allowPrivateHosts).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test', PUSH_ALLOW_PRIVATE_HOSTS: 'false' }).push.allowPrivateHosts).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test', PUSH_ALLOW_PRIVATE_HOSTS: 'true' }).push.allowPrivateHosts).toBe(true);
    expect(() => loadConfig({ NODE_ENV: 'test', PUSH_ALLOW_PRIVATE_HOSTS: 'yes' })).toThrow('PUSH_ALLOW_PRIVATE_HOSTS must be true or false (got "yes")');
    expect(loadConfig(PRODUCTION).push.allowPrivateHosts).toBe(false);
    expect(() => loadConfig({ ...PRODUCTION, PUSH_ALLOW_PRIVATE_HOSTS: 'true' })).toThrow('PUSH_ALLOW_PRIVATE_HOSTS must not be true in production');
  });
});
