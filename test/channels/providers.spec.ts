import { Logger, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  EMAIL_PROVIDER,
  PermanentDeliveryError,
  PUSH_PROVIDER,
  PushSubscriptionGoneError,
  SMS_PROVIDER,
  TransientDeliveryError,
  type Notification,
} from '../../libs/channels/channel.js';
import { EntityManager } from '@mikro-orm/postgresql';
import { ChannelsModule } from '../../libs/channels/channels.module.js';
import { NotificationRenderer } from '../../libs/channels/notification-renderer.js';
import { LogEmailProvider, LogPushProvider, LogSmsProvider } from '../../libs/channels/providers/log.providers.js';
import { SendgridEmailProvider } from '../../libs/channels/providers/sendgrid-email.provider.js';
import { TwilioSmsProvider } from '../../libs/channels/providers/twilio-sms.provider.js';
import { WebPushProvider } from '../../libs/channels/providers/web-push.provider.js';
import { APP_CONFIG, loadConfig, type AppConfig } from '../../libs/config/app-config.js';
import {
  PUSH_FAKE_CA_CERT,
  PushServiceFake,
  createPushSubscription,
  generateVapidKeys,
  pushFakeAgent,
} from '../fakes/push-service-fake.js';
import { SendgridFake } from '../fakes/sendgrid-fake.js';
import { TwilioFake } from '../fakes/twilio-fake.js';

const notification: Notification = {
  subject: 'Lab results are ready',
  text: 'Your potassium is 4.1 mmol/L.',
  html: '<p>Your potassium is 4.1 mmol/L.</p>',
  url: 'https://app.tidings.test/messages/m-1',
};

/** A URL on which nothing listens, for network failures. */
async function unusedBaseUrl(scheme: 'http' | 'https'): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `${scheme}://127.0.0.1:${port}`;
}

async function deliveryError(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome === undefined) throw new Error('expected the delivery to fail');
  return outcome as Error;
}

describe('SendgridEmailProvider against the SendGrid fake', () => {
  const apiKey = 'SG.test-key';
  const fake = new SendgridFake(apiKey);
  let provider: SendgridEmailProvider;
  const settings = (baseUrl: string): AppConfig['email'] => ({
    provider: 'sendgrid',
    from: 'Tidings <no-reply@tidings.test>',
    sendgridApiKey: apiKey,
    sendgridApiBaseUrl: baseUrl,
    replyDomain: 'reply.tidings.test',
    replySecret: 'a reply secret of some length',
  });

  beforeAll(async () => {
    provider = new SendgridEmailProvider(settings(await fake.start()));
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  it('sends subject, text, html, recipient and sender with the API key, and returns the x-message-id', async () => {
    const result = await provider.send({ email: 'ada@example.org', name: 'Ada' }, notification);

    expect(fake.delivered).toHaveLength(1);
    const [mail] = fake.delivered;
    expect(mail).toMatchObject({
      authorization: `Bearer ${apiKey}`,
      to: ['ada@example.org'],
      from: 'Tidings <no-reply@tidings.test>',
      subject: notification.subject,
      text: notification.text,
      html: notification.html,
    });
    expect(mail!.personalizations[0]!.to).toEqual([{ email: 'ada@example.org', name: 'Ada' }]);
    expect(result.providerMessageId).toMatch(/^[\w-]{22}$/);
  });

  it.each([429, 500, 503])('turns HTTP %i into a TransientDeliveryError', async (status) => {
    fake.failNext(1, status);
    const error = await deliveryError(provider.send({ email: 'ada@example.org', name: 'Ada' }, notification));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ providerStatus: status });
  });

  it("turns an invalid address into a PermanentDeliveryError with SendGrid's reason, but no content or address", async () => {
    fake.rejectAddress('not-an-address@invalid');
    const error = await deliveryError(provider.send({ email: 'not-an-address@invalid', name: 'X' }, notification));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).not.toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ providerStatus: 400 });
    expect(error.message).toContain('Does not contain a valid address.');
    for (const leak of ['not-an-address@invalid', notification.subject, notification.text]) expect(error.message).not.toContain(leak);
  });

  it('turns a refused connection into a TransientDeliveryError', async () => {
    const unreachable = new SendgridEmailProvider(settings(await unusedBaseUrl('http')));
    expect(await deliveryError(unreachable.send({ email: 'ada@example.org', name: 'Ada' }, notification))).toBeInstanceOf(TransientDeliveryError);
  });
});

describe('TwilioSmsProvider against the Twilio fake', () => {
  const accountSid = 'AC0123456789abcdef0123456789abcdef';
  const authToken = 'twilio-test-token';
  const fake = new TwilioFake(accountSid, authToken);
  let provider: TwilioSmsProvider;
  const settings = (baseUrl: string): AppConfig['sms'] => ({
    provider: 'twilio',
    twilioAccountSid: accountSid,
    twilioAuthToken: authToken,
    twilioFromNumber: '+15005550006',
    twilioApiBaseUrl: baseUrl,
  });

  beforeAll(async () => {
    provider = new TwilioSmsProvider(settings(await fake.start()));
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  it('sends To, From and the text as Body with the account credentials, and returns the message SID', async () => {
    const result = await provider.send('+14155550123', notification);

    // The fake answers 401 unless Basic auth is AccountSid:AuthToken, so a delivery proves the credentials.
    expect(fake.delivered).toEqual([{ accountSid, to: '+14155550123', from: '+15005550006', body: notification.text, status: 201 }]);
    expect(result.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it.each([429, 500, 503])('turns HTTP %i into a TransientDeliveryError', async (status) => {
    fake.failNext(1, status);
    const error = await deliveryError(provider.send('+14155550123', notification));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ providerStatus: status });
  });

  it.each([21211, 21614, 21610] as const)('turns Twilio error %i into a PermanentDeliveryError naming the code but not the number', async (code) => {
    fake.rejectNumber('+15551234567', code);
    const error = await deliveryError(provider.send('+15551234567', notification));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ providerStatus: 400 });
    expect(error.message).toContain(String(code));
    expect(error.message).not.toContain('5551234567');
    expect(error.message).not.toContain(notification.text);
  });

  it('turns a refused connection into a TransientDeliveryError', async () => {
    const unreachable = new TwilioSmsProvider(settings(await unusedBaseUrl('http')));
    expect(await deliveryError(unreachable.send('+14155550123', notification))).toBeInstanceOf(TransientDeliveryError);
  });
});

describe('WebPushProvider against the push service fake', () => {
  const fake = new PushServiceFake();
  const vapidKeys = generateVapidKeys();
  const settings: AppConfig['push'] = {
    provider: 'webpush',
    vapidSubject: 'mailto:ops@tidings.test',
    vapidPublicKey: vapidKeys.publicKey,
    vapidPrivateKey: vapidKeys.privateKey,
  };
  let baseUrl: string;
  let provider: WebPushProvider;

  beforeAll(async () => {
    baseUrl = await fake.start();
    provider = new WebPushProvider(settings, { agent: pushFakeAgent() });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  it('delivers an aes128gcm payload that only the subscriber can read, signed with the VAPID key', async () => {
    const { subscription, decrypt } = createPushSubscription(baseUrl);

    const result = await provider.send(subscription, notification);

    expect(fake.delivered).toHaveLength(1);
    const [push] = fake.delivered;
    expect(push!.contentEncoding).toBe('aes128gcm');
    expect(push!.ttl).toBe('86400');
    expect(push!.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapidKeys.publicKey}$`));
    expect(push!.body.toString('utf8')).not.toContain(notification.text);
    expect(JSON.parse(decrypt(push!.body))).toEqual({ title: notification.subject, body: notification.text, url: notification.url });
    expect(result.providerMessageId).toMatch(new RegExp(`^${baseUrl}/messages/`));
  });

  it.each([404, 410])('turns HTTP %i into PushSubscriptionGoneError for that endpoint', async (status) => {
    const { subscription } = createPushSubscription(baseUrl);
    if (status === 410) fake.expireSubscription(subscription.endpoint);
    else fake.respondWith(404);
    const error = await deliveryError(provider.send(subscription, notification));
    expect(error).toBeInstanceOf(PushSubscriptionGoneError);
    expect(error).toMatchObject({ endpoint: subscription.endpoint, providerStatus: status });
  });

  it.each([429, 500, 503])('turns HTTP %i into a TransientDeliveryError', async (status) => {
    fake.failNext(1, status);
    const error = await deliveryError(provider.send(createPushSubscription(baseUrl).subscription, notification));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ providerStatus: status });
  });

  it('turns another 4xx into a PermanentDeliveryError that is not "gone"', async () => {
    fake.failNext(1, 413);
    const error = await deliveryError(provider.send(createPushSubscription(baseUrl).subscription, notification));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).not.toBeInstanceOf(PushSubscriptionGoneError);
  });

  it('verifies TLS: an untrusted push service certificate is a TransientDeliveryError, and nothing is sent', async () => {
    const withoutCa = new WebPushProvider(settings);
    const error = await deliveryError(withoutCa.send(createPushSubscription(baseUrl).subscription, notification));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(fake.received).toHaveLength(0);
  });

  it('turns a refused connection into a TransientDeliveryError', async () => {
    const { subscription } = createPushSubscription(await unusedBaseUrl('https'));
    expect(await deliveryError(provider.send(subscription, notification))).toBeInstanceOf(TransientDeliveryError);
  });

  it('works with NODE_EXTRA_CA_CERTS alone, as production does (no agent)', async () => {
    const { subscription, decrypt } = createPushSubscription(baseUrl);
    const providerModule = path.resolve(__dirname, '../../libs/channels/providers/web-push.provider.js');
    const script = `
      const { WebPushProvider } = require(${JSON.stringify(providerModule)});
      const [settings, subscription, notification] = JSON.parse(process.argv[1]);
      new WebPushProvider(settings).send(subscription, notification).then(
        (result) => console.log(JSON.stringify(result)),
        (error) => { console.error(error); process.exit(1); });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, JSON.stringify([settings, subscription, notification])], {
      env: { ...process.env, NODE_OPTIONS: '', NODE_EXTRA_CA_CERTS: PUSH_FAKE_CA_CERT },
    });

    expect(JSON.parse(stdout).providerMessageId).toMatch(new RegExp(`^${baseUrl}/messages/`));
    expect(JSON.parse(decrypt(fake.delivered[0]!.body)).body).toBe(notification.text);
  });
});

describe('log providers', () => {
  const logged: string[] = [];
  const captureLogger: LoggerService = {
    log: (message: unknown, ...rest: unknown[]) => logged.push([message, ...rest].map(String).join(' ')),
    error: (message: unknown, ...rest: unknown[]) => logged.push([message, ...rest].map(String).join(' ')),
    warn: (message: unknown, ...rest: unknown[]) => logged.push([message, ...rest].map(String).join(' ')),
  };
  beforeAll(() => Logger.overrideLogger(captureLogger));
  afterAll(() => Logger.overrideLogger(new Logger()));
  afterEach(() => (logged.length = 0));

  it('note the delivery and return a log-<uuid> id without logging the recipient or any content', async () => {
    const results = [
      await new LogEmailProvider().send({ email: 'ada@example.org', name: 'Ada Lovelace' }, notification),
      await new LogSmsProvider().send('+14155550123', notification),
      await new LogPushProvider().send(createPushSubscription('https://push.test').subscription, notification),
    ];

    for (const result of results) expect(result.providerMessageId).toMatch(/^log-[0-9a-f-]{36}$/);
    expect(logged.join('\n')).toMatch(/email delivered via log provider[\s\S]*sms delivered[\s\S]*push delivered/);
    for (const secret of ['ada@example.org', 'Ada Lovelace', '4155550123', 'push.test', notification.subject, notification.text, notification.url]) {
      expect(logged.join('\n')).not.toContain(secret);
    }
  });
});

describe('ChannelsModule', () => {
  /** Compiles ChannelsModule the way the app does: APP_CONFIG and the EntityManager come from other, global modules. */
  function providersFor(env: NodeJS.ProcessEnv) {
    const globalConfig = {
      module: class GlobalConfigStub {},
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: loadConfig(env) }, { provide: EntityManager, useValue: {} }],
      exports: [APP_CONFIG, EntityManager],
    };
    return Test.createTestingModule({ imports: [globalConfig, ChannelsModule] }).compile();
  }

  it('uses the log providers by default', async () => {
    const moduleRef = await providersFor({});
    expect(moduleRef.get(EMAIL_PROVIDER)).toBeInstanceOf(LogEmailProvider);
    expect(moduleRef.get(SMS_PROVIDER)).toBeInstanceOf(LogSmsProvider);
    expect(moduleRef.get(PUSH_PROVIDER)).toBeInstanceOf(LogPushProvider);
    expect(moduleRef.get(NotificationRenderer)).toBeInstanceOf(NotificationRenderer);
  });

  it('uses SendGrid, Twilio and Web Push when configured', async () => {
    const vapid = generateVapidKeys();
    const moduleRef = await providersFor({
      EMAIL_PROVIDER: 'sendgrid',
      SENDGRID_API_KEY: 'SG.test-key',
      EMAIL_FROM: 'Tidings <no-reply@tidings.test>',
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM_NUMBER: '+15005550006',
      PUSH_PROVIDER: 'webpush',
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: 'mailto:ops@tidings.test',
    });
    expect(moduleRef.get(EMAIL_PROVIDER)).toBeInstanceOf(SendgridEmailProvider);
    expect(moduleRef.get(SMS_PROVIDER)).toBeInstanceOf(TwilioSmsProvider);
    expect(moduleRef.get(PUSH_PROVIDER)).toBeInstanceOf(WebPushProvider);
  });
});
