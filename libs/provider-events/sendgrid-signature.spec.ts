import { NotFoundException, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { loadConfig } from '../config/app-config.js';
import { checkSendgridSignature, isSendgridEventsRequest, sendgridPublicKey } from './sendgrid-signature.js';
import { SendgridSignatureGuard } from './sendgrid-signature.guard.js';
import type { IncomingMessage } from 'node:http';

const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
/** The key as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo. */
const shown = (publicKey: KeyObject) => publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const signed = (privateKey: KeyObject, timestamp: string, body: Buffer) =>
  sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), privateKey).toString('base64');

describe('SendGrid event signatures', () => {
  const sendgrid = keyPair();
  const publicKey = sendgridPublicKey(shown(sendgrid.publicKey));
  const body = Buffer.from('[{"event":"delivered","delivery_id":"d","sg_event_id":"e"}]\r\n');
  const now = new Date();
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const check = (over: Partial<Parameters<typeof checkSendgridSignature>[0]> = {}) =>
    checkSendgridSignature({ publicKey, signature: signed(sendgrid.privateKey, timestamp, body), timestamp, body, now, ...over });

  test('accepts what SendGrid signed: the timestamp followed by the exact body', () => {
    expect(check()).toEqual({ ok: true });
    // Within 10 minutes either way.
    expect(check({ now: new Date(now.getTime() + 599_000) })).toEqual({ ok: true });
    expect(check({ now: new Date(now.getTime() - 599_000) })).toEqual({ ok: true });
  });

  test('refuses unsigned, forged, tampered and stale posts', () => {
    const refused = (result: ReturnType<typeof check>) => expect(result.ok).toBe(false);
    refused(check({ signature: undefined }));
    refused(check({ timestamp: undefined }));
    refused(check({ signature: ['a', 'b'] }));
    refused(check({ signature: signed(keyPair().privateKey, timestamp, body) }));
    refused(check({ body: Buffer.from(body.toString().replace('delivered', 'bounce')) }));
    refused(check({ body: Buffer.from(body.toString().trimEnd()) }));
    refused(check({ body: JSON.parse(body.toString()) }));
    refused(check({ timestamp: String(Number(timestamp) + 1) }));
    refused(check({ signature: 'bm90IGEgc2lnbmF0dXJl' }));
    expect(check({ now: new Date(now.getTime() + 601_000) })).toEqual({ ok: false, reason: 'the signed timestamp is not within 10 minutes of now' });
    expect(check({ now: new Date(now.getTime() - 601_000) })).toEqual({ ok: false, reason: 'the signed timestamp is not within 10 minutes of now' });
    const notSeconds = new Date(now).toISOString();
    refused(check({ timestamp: notSeconds, signature: signed(sendgrid.privateKey, notSeconds, body) }));
  });

  test('the key must be a P-256 public key, in base64 (PEM armour tolerated)', () => {
    expect(sendgridPublicKey(sendgrid.publicKey.export({ format: 'pem', type: 'spki' }).toString()).equals(publicKey)).toBe(true);
    expect(() => sendgridPublicKey('not base64!')).toThrow('it is not base64');
    expect(() => sendgridPublicKey(Buffer.from('hello').toString('base64'))).toThrow('it is not a DER public key');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(() => sendgridPublicKey(shown(rsa))).toThrow('it is not an ECDSA P-256 key');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    expect(() => sendgridPublicKey(shown(p384))).toThrow('it is not an ECDSA P-256 key');
  });

  test('the configuration refuses a bad key at start, and leaves the webhook off without one', () => {
    expect(loadConfig({ NODE_ENV: 'test', SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY: shown(sendgrid.publicKey) }).email.eventWebhookPublicKey).toBe(
      shown(sendgrid.publicKey),
    );
    expect(loadConfig({ NODE_ENV: 'test' }).email.eventWebhookPublicKey).toBeUndefined();
    expect(() => loadConfig({ NODE_ENV: 'test', SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY: 'c2VjcmV0' })).toThrow(
      /SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY must be the verification key SendGrid shows/,
    );
  });

  test('only POSTs to the webhook keep their raw body', () => {
    const request = (method: string, url: string) => ({ method, url }) as IncomingMessage;
    expect(isSendgridEventsRequest(request('POST', '/v1/webhooks/sendgrid/events'))).toBe(true);
    expect(isSendgridEventsRequest(request('POST', '/v1/webhooks/sendgrid/events?x=1'))).toBe(true);
    expect(isSendgridEventsRequest(request('GET', '/v1/webhooks/sendgrid/events'))).toBe(false);
    expect(isSendgridEventsRequest(request('POST', '/v1/messages'))).toBe(false);
  });

  describe('the guard', () => {
    const contextOf = (headers: Record<string, string>, raw: unknown) =>
      ({ switchToHttp: () => ({ getRequest: () => ({ headers, body: raw }) }) }) as unknown as ExecutionContext;
    const guardWith = (key?: string) =>
      new SendgridSignatureGuard(loadConfig({ NODE_ENV: 'test', ...(key ? { SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY: key } : {}) }));
    const headersFor = (signature: string) => ({
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': timestamp,
    });

    test('lets a signed post through and turns anything else away with 401', () => {
      const guard = guardWith(shown(sendgrid.publicKey));
      expect(guard.canActivate(contextOf(headersFor(signed(sendgrid.privateKey, timestamp, body)), body))).toBe(true);
      expect(() => guard.canActivate(contextOf({}, body))).toThrow(UnauthorizedException);
      expect(() => guard.canActivate(contextOf(headersFor(signed(keyPair().privateKey, timestamp, body)), body))).toThrow(UnauthorizedException);
    });

    test('is 404 when no key is configured', () => {
      expect(() => guardWith().canActivate(contextOf(headersFor(signed(sendgrid.privateKey, timestamp, body)), body))).toThrow(NotFoundException);
    });
  });
});
