import { ConfigError, loadConfig } from '../../libs/config/app-config.js';

describe('configuration', () => {
  test('a fresh machine needs no settings: log providers, a local database and Temporal', () => {
    const config = loadConfig({});
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
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow('JWT_SECRET must be at least 16 characters long');
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('EMAIL_REPLY_SECRET is required in production');
  });

  test('reply by email: a bad reply domain or a short inbound secret is refused, and inbound email is off until a secret is set', () => {
    expect(() => loadConfig({ EMAIL_REPLY_DOMAIN: 'not a domain' })).toThrow('EMAIL_REPLY_DOMAIN must be a domain name (got "not a domain")');
    expect(() => loadConfig({ INBOUND_EMAIL_SECRET: 'short' })).toThrow('INBOUND_EMAIL_SECRET must be at least 16 characters long');
    expect(loadConfig({}).email.inboundSecret).toBeUndefined();
    expect(loadConfig({ EMAIL_REPLY_DOMAIN: 'Reply.Example.ORG' }).email.replyDomain).toBe('reply.example.org');
  });

  test('PUSH_ALLOW_PRIVATE_HOSTS is off unless set to true, must be true or false, and is refused in production', () => {
    expect(loadConfig({}).push.allowPrivateHosts).toBe(false);
    expect(loadConfig({ PUSH_ALLOW_PRIVATE_HOSTS: 'false' }).push.allowPrivateHosts).toBe(false);
    expect(loadConfig({ PUSH_ALLOW_PRIVATE_HOSTS: 'true' }).push.allowPrivateHosts).toBe(true);
    expect(() => loadConfig({ PUSH_ALLOW_PRIVATE_HOSTS: 'yes' })).toThrow('PUSH_ALLOW_PRIVATE_HOSTS must be true or false (got "yes")');
    const production = {
      NODE_ENV: 'production',
      TIDINGS_BOOTSTRAP_TOKEN: 'a production bootstrap token',
      JWT_SECRET: 'a production jwt secret',
      EMAIL_REPLY_SECRET: 'a production reply secret',
    };
    expect(loadConfig(production).push.allowPrivateHosts).toBe(false);
    expect(() => loadConfig({ ...production, PUSH_ALLOW_PRIVATE_HOSTS: 'true' })).toThrow('PUSH_ALLOW_PRIVATE_HOSTS must not be true in production');
  });
});
