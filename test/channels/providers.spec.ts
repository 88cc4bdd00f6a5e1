import { Logger, type LoggerService } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { Test } from '@nestjs/testing';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  DeliveryAbortedError,
  EMAIL_PROVIDER,
  PermanentDeliveryError,
  PUSH_PROVIDER,
  PushSubscriptionGoneError,
  SMS_PROVIDER,
  TransientDeliveryError,
  type Notification,
  type SendOptions,
  type SendResult,
} from '../../libs/channels/channel.js';
import { EntityManager } from '@mikro-orm/postgresql';
import { ChannelsModule } from '../../libs/channels/channels.module.js';
import { NotificationRenderer } from '../../libs/channels/notification-renderer.js';
import { NotificationSender } from '../../libs/channels/notification-sender.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryAfterHeader } from '../../libs/channels/providers/delivery-errors.js';
import { LogEmailProvider, LogPushProvider, LogSmsProvider } from '../../libs/channels/providers/log.providers.js';
import { SendgridEmailProvider } from '../../libs/channels/providers/sendgrid-email.provider.js';
import { TwilioSmsProvider } from '../../libs/channels/providers/twilio-sms.provider.js';
import { WebPushProvider } from '../../libs/channels/providers/web-push.provider.js';
import { APP_CONFIG, loadConfig, type AppConfig } from '../../libs/config/app-config.js';
import { toActivityFailure } from '../../activities/delivery-failure.js';
import { PROVIDER_REQUEST_TIMEOUT_MS } from '../../workflows/delivery-policy.js';
import type { LoopbackFake } from '../fakes/loopback-fake.js';
import { PUSH_FAKE_CA_CERT, PushServiceFake, createPushSubscription, generateVapidKeys, pushFakeAgent } from '../fakes/push-service-fake.js';
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

/** Longer than any test here may run: a provider that does not abort waits in vain and fails the test. */
const NEVER_IN_THIS_TEST = 10 * 60_000;
/** The tests that rely on an abort get this much; the abort itself takes milliseconds. */
const ABORT_TEST_TIMEOUT_MS = 15_000;

/**
 * What the delivery ledger relies on from every provider: cancelling its activity stops the HTTP request
 * in flight, and a provider that accepts a message but takes its time to answer is waited for.
 * `send` uses the provider under test, or one built with a shorter deadline when `requestTimeoutMs` is given.
 */
function itControlsTheProviderRequest(
  fake: LoopbackFake<{ status: number }>,
  send: (options: SendOptions, requestTimeoutMs?: number) => Promise<SendResult>,
  requestTimeoutOfProvider: () => number,
) {
  it(
    'aborts the request in flight when the signal fires: a DeliveryAbortedError, and the connection is dropped',
    async () => {
      fake.delayNext(NEVER_IN_THIS_TEST);
      const controller = new AbortController();
      const sending = deliveryError(send({ signal: controller.signal }));
      await fake.whenReceived(1);
      controller.abort();

      const error = await sending;
      expect(error).toBeInstanceOf(DeliveryAbortedError);
      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect(error.message).toContain('aborted');
      await fake.whenAbandoned(1);
      // The fake outlives the client that went away and answers the next request as usual.
      await send({});
      expect(fake.received).toHaveLength(2);
    },
    ABORT_TEST_TIMEOUT_MS,
  );

  it('sends nothing when the signal has fired before the call', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await deliveryError(send({ signal: controller.signal }))).toBeInstanceOf(DeliveryAbortedError);
    expect(fake.received).toHaveLength(0);
  });

  it('waits for a provider that answers slowly, up to PROVIDER_REQUEST_TIMEOUT_MS', async () => {
    expect(requestTimeoutOfProvider()).toBe(PROVIDER_REQUEST_TIMEOUT_MS);
    fake.delayNext(1_000);
    const result = await send({ signal: new AbortController().signal });
    expect(result.providerMessageId).toBeTruthy();
    expect(fake.delivered).toHaveLength(1);
  });

  it(
    'gives up at the deadline with a TransientDeliveryError that is not an abort',
    async () => {
      fake.delayNext(NEVER_IN_THIS_TEST);
      const error = await deliveryError(send({}, 200));
      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect(error).not.toBeInstanceOf(DeliveryAbortedError);
      expect(error.message).toContain('did not answer within 200 ms');
      await fake.whenAbandoned(1);
    },
    ABORT_TEST_TIMEOUT_MS,
  );
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
    expect(mail!.customArgs).toBeUndefined();
    expect(result.providerMessageId).toMatch(/^[\w-]{22}$/);
  });

  it("tags the mail with the delivery id in custom_args, so SendGrid's events can be matched to the delivery", async () => {
    await provider.send({ email: 'ada@example.org', name: 'Ada' }, notification, undefined, { deliveryId: 'delivery-42' });
    expect(fake.delivered[0]!.customArgs).toEqual({ delivery_id: 'delivery-42' });
  });

  it('gets the delivery id and the signal through NotificationSender', async () => {
    const sender = new NotificationSender(provider, new LogSmsProvider(), new LogPushProvider());
    const target = { channel: 'email' as const, to: { email: 'ada@example.org', name: 'Ada' } };
    await sender.send(target, notification, { deliveryId: 'delivery-43' });
    expect(fake.delivered[0]!.customArgs).toEqual({ delivery_id: 'delivery-43' });

    const aborted = new AbortController();
    aborted.abort();
    expect(await deliveryError(sender.send(target, notification, { signal: aborted.signal }))).toBeInstanceOf(DeliveryAbortedError);
    expect(fake.received).toHaveLength(1);
  });

  itControlsTheProviderRequest(
    fake,
    (options, requestTimeoutMs) =>
      (requestTimeoutMs ? new SendgridEmailProvider(settings(fake.baseUrl), { requestTimeoutMs }) : provider).send(
        { email: 'ada@example.org', name: 'Ada' },
        notification,
        undefined,
        options,
      ),
    () => provider.requestTimeoutMs,
  );

  it.each([429, 500, 503])('turns HTTP %i into a TransientDeliveryError', async (status) => {
    fake.failNext(1, status);
    const error = await deliveryError(provider.send({ email: 'ada@example.org', name: 'Ada' }, notification));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ providerStatus: status });
  });

  const in30s = () => new Date(Date.now() + 30_000).toUTCString();
  it.each([
    [429, '2 s', () => '2', 2_000],
    [503, '120 s', () => '120', 120_000],
    [429, 'an HTTP date 30 s ahead', in30s, 30_000],
  ])('keeps the Retry-After of HTTP %i (%s) on the TransientDeliveryError, in ms', async (status, _what, retryAfter, expectedMs) => {
    fake.respondWith(status, undefined, { 'Retry-After': retryAfter() });
    const error = await deliveryError(provider.send({ email: 'ada@example.org', name: 'Ada' }, notification));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ providerStatus: status });
    // An HTTP date has whole seconds and is read a moment later.
    expect((error as TransientDeliveryError).retryAfterMs).toBeGreaterThan(expectedMs - 2_000);
    expect((error as TransientDeliveryError).retryAfterMs).toBeLessThanOrEqual(expectedMs);
  });

  it('keeps the Retry-After of a batch request too, and none where there is none or the status is not 429/503', async () => {
    const batch = [{ to: { email: 'ada@example.org', name: 'Ada' }, notification, deliveryId: 'delivery-1' }];
    fake.respondWith(429, undefined, { 'Retry-After': '7' });
    expect(await deliveryError(provider.sendBatch(batch))).toMatchObject({ providerStatus: 429, retryAfterMs: 7_000 });
    fake.failNext(1, 429);
    expect((await deliveryError(provider.sendBatch(batch))) as TransientDeliveryError).toMatchObject({ providerStatus: 429, retryAfterMs: undefined });
    fake.respondWith(500, undefined, { 'Retry-After': '7' });
    expect((await deliveryError(provider.sendBatch(batch))) as TransientDeliveryError).toMatchObject({ providerStatus: 500, retryAfterMs: undefined });
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
    maxPerSecond: 10,
  });

  beforeAll(async () => {
    provider = new TwilioSmsProvider(settings(await fake.start()));
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  it('sends To, From and the text as Body with the account credentials, and returns the message SID', async () => {
    const result = await provider.send('+14155550123', notification);

    // The fake answers 401 unless Basic auth is AccountSid:AuthToken, so a delivery proves the credentials.
    expect(fake.delivered).toEqual([{ accountSid, to: '+14155550123', from: '+15005550006', body: notification.text, status: 201, at: expect.any(Number) }]);
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

  itControlsTheProviderRequest(
    fake,
    (options, requestTimeoutMs) =>
      (requestTimeoutMs ? new TwilioSmsProvider(settings(fake.baseUrl), { requestTimeoutMs }) : provider).send('+14155550123', notification, options),
    () => provider.requestTimeoutMs,
  );
});

describe('WebPushProvider against the push service fake', () => {
  const fake = new PushServiceFake();
  const vapidKeys = generateVapidKeys();
  const settings: AppConfig['push'] = {
    provider: 'webpush',
    vapidSubject: 'mailto:ops@tidings.test',
    vapidPublicKey: vapidKeys.publicKey,
    vapidPrivateKey: vapidKeys.privateKey,
    // The fake listens on 127.0.0.1.
    allowPrivateHosts: true,
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
    expect(push!.topic).toBeUndefined();
    expect(push!.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapidKeys.publicKey}$`));
    expect(push!.body.toString('utf8')).not.toContain(notification.text);
    expect(JSON.parse(decrypt(push!.body))).toEqual({ title: notification.subject, body: notification.text, url: notification.url });
    expect(result.providerMessageId).toMatch(new RegExp(`^${baseUrl}/messages/`));
  });

  it('gives each push a Topic derived from the delivery id, the same on a resend, so the push service replaces rather than repeats it', async () => {
    const { subscription } = createPushSubscription(baseUrl);
    const deliveryId = '0f9c1f9e-3a8e-4c55-9d3c-5b8f3f6f1e2a';

    await provider.send(subscription, notification, { deliveryId });
    await provider.send(subscription, notification, { deliveryId });
    await provider.send(subscription, notification, { deliveryId: '7d2b1c44-90a1-4f3e-8f0e-2a6c1b9d5e10' });

    // Pinned, not recomputed with the provider's helper: a changed derivation would duplicate resends across a deploy.
    const expectedTopic = createHash('sha256').update(deliveryId).digest().subarray(0, 24).toString('base64url');
    expect(expectedTopic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const [first, resend, other] = fake.delivered;
    expect(first!.topic).toBe(expectedTopic);
    expect(resend!.topic).toBe(expectedTopic);
    expect(other!.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(other!.topic).not.toBe(expectedTopic);
    expect(fake.delivered.map((push) => push.ttl)).toEqual(['86400', '86400', '86400']);
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

  it('keeps the Retry-After of a 429 on the TransientDeliveryError', async () => {
    fake.respondWith(429, undefined, { 'Retry-After': '30' });
    const error = await deliveryError(provider.send(createPushSubscription(baseUrl).subscription, notification));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ providerStatus: 429, retryAfterMs: 30_000 });
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

  itControlsTheProviderRequest(
    fake,
    (options, requestTimeoutMs) =>
      (requestTimeoutMs ? new WebPushProvider(settings, { agent: pushFakeAgent(), requestTimeoutMs }) : provider).send(
        createPushSubscription(baseUrl).subscription,
        notification,
        options,
      ),
    () => provider.requestTimeoutMs,
  );

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

  it('checks the endpoint again just before sending: a host that now resolves to a non-public address (DNS rebinding) is refused for good, saying why, and nothing is sent', async () => {
    const rebound = new WebPushProvider(
      { ...settings, allowPrivateHosts: false },
      { agent: pushFakeAgent(), lookup: async () => [{ address: '169.254.169.254', family: 4 }] },
    );
    const error = await deliveryError(rebound.send(createPushSubscription('https://push.rebound.test').subscription, notification));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe('push endpoint refused before sending: host push.rebound.test resolves to a link-local address');

    // Without PUSH_ALLOW_PRIVATE_HOSTS the fake itself, on 127.0.0.1, is refused; with it, link-local still is.
    const production = new WebPushProvider({ ...settings, allowPrivateHosts: false }, { agent: pushFakeAgent() });
    const loopback = await deliveryError(production.send(createPushSubscription(baseUrl).subscription, notification));
    expect(loopback).toBeInstanceOf(PermanentDeliveryError);
    expect(loopback.message).toBe('push endpoint refused before sending: must name a host, not an IP address (this one is a loopback address)');
    const metadata = await deliveryError(provider.send(createPushSubscription('https://169.254.169.254').subscription, notification));
    expect(metadata).toBeInstanceOf(PermanentDeliveryError);
    expect(metadata.message).toBe('push endpoint refused before sending: must not point at a link-local address');
    expect(fake.received).toHaveLength(0);
  });

  it('connects to the address it checked: the connection does not resolve the host a second time', async () => {
    const lookups: string[] = [];
    const pinned = new WebPushProvider(settings, {
      // The fake's certificate names localhost; this test is about where the socket goes, not about the name.
      agent: new https.Agent({ ca: readFileSync(PUSH_FAKE_CA_CERT), checkServerIdentity: () => undefined }),
      lookup: async (host) => {
        lookups.push(host);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    // .invalid never resolves (RFC 6761): the push arrives only if the connection used the checked address.
    const { subscription, decrypt } = createPushSubscription(`https://push.invalid:${new URL(baseUrl).port}`);

    await pinned.send(subscription, notification);

    expect(lookups).toEqual(['push.invalid']);
    expect(fake.delivered).toHaveLength(1);
    expect(JSON.parse(decrypt(fake.delivered[0]!.body)).title).toBe(notification.subject);
  });

  it('a host that cannot be resolved just before sending is a TransientDeliveryError', async () => {
    const unresolved = new WebPushProvider(settings, {
      agent: pushFakeAgent(),
      lookup: async (host) => {
        throw Object.assign(new Error(`getaddrinfo EAI_AGAIN ${host}`), { code: 'EAI_AGAIN' });
      },
    });
    const error = await deliveryError(unresolved.send(createPushSubscription('https://push.example.org').subscription, notification));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error.message).toBe('push service host could not be resolved: getaddrinfo EAI_AGAIN push.example.org');
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2025-03-04T10:00:00Z');

  it.each<[unknown, number | undefined]>([
    ['0', 0],
    ['2', 2_000],
    [' 120 ', 120_000],
    [['5', '60'], 5_000],
    ['Tue, 04 Mar 2025 10:00:30 GMT', 30_000],
    ['Tuesday, 04-Mar-25 10:01:00 GMT', 60_000],
    ['Tue, 04 Mar 2025 09:59:00 GMT', 0],
    ['3600', MAX_RETRY_AFTER_MS],
    ['Wed, 05 Mar 2025 10:00:00 GMT', MAX_RETRY_AFTER_MS],
    [undefined, undefined],
    ['', undefined],
    ['-3', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    [42, undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('is capped at 10 minutes', () => {
    expect(MAX_RETRY_AFTER_MS).toBe(10 * 60_000);
  });

  it('is found among headers in any case, plain or with a get() as axios has', () => {
    expect(retryAfterHeader({ 'retry-after': '3' })).toBe('3');
    expect(retryAfterHeader({ 'Retry-After': '4' })).toBe('4');
    expect(retryAfterHeader({ get: (name: string) => (name === 'retry-after' ? '5' : undefined) })).toBe('5');
    expect(retryAfterHeader({ 'content-type': 'application/json' })).toBeUndefined();
    expect(retryAfterHeader(undefined)).toBeUndefined();
  });

  it("becomes the activity failure's nextRetryDelay; a permanent refusal stays non-retryable, other errors as they are", () => {
    const waited = toActivityFailure(new TransientDeliveryError('SendGrid refused the email: scripted HTTP 429', 429, 2_000));
    expect(waited).toBeInstanceOf(ApplicationFailure);
    expect(waited).toMatchObject({
      type: 'TransientDeliveryError',
      message: 'SendGrid refused the email: scripted HTTP 429',
      nonRetryable: false,
      nextRetryDelay: 2_000,
    });

    const plain = new TransientDeliveryError('SendGrid refused the email: HTTP 503', 503);
    expect(toActivityFailure(plain)).toBe(plain);
    const now = new TransientDeliveryError('SendGrid refused the email: HTTP 503', 503, 0);
    expect(toActivityFailure(now)).toBe(now);
    expect(toActivityFailure(new PermanentDeliveryError('no such address', 400))).toMatchObject({ type: 'PermanentDeliveryError', nonRetryable: true });
    const bug = new Error('boom');
    expect(toActivityFailure(bug)).toBe(bug);
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
      providers: [
        { provide: APP_CONFIG, useValue: loadConfig({ NODE_ENV: 'test', ...env }) },
        { provide: EntityManager, useValue: {} },
      ],
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
