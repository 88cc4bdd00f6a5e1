import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import webpush from 'web-push';
import { LoopbackFake, type FakeReply } from './loopback-fake.js';

/** Finds test/fakes/tls from either the sources or the compiled copy in dist/ (which has no .pem files). */
function findTlsDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'fakes', 'tls');
    if (existsSync(path.join(candidate, 'cert.pem'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`test/fakes/tls not found above ${__dirname}`);
  }
}
const TLS_DIR = findTlsDir();

/**
 * The self-signed certificate (CN=localhost, SAN IP:127.0.0.1 + DNS:localhost, valid 20 years) the fake
 * serves. web-push only speaks https and uses node:https, so a process that talks to this fake must trust
 * it: start that process with NODE_EXTRA_CA_CERTS=<this path> (Node reads it once at start-up; setting
 * process.env later has no effect), or, inside an already-running test process, give the provider an
 * https.Agent with `ca` (see pushFakeAgent()).
 * Regenerated in test/fakes/tls with:
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7305 -keyout key.pem
 *     -out cert.pem -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost
 *     -addext basicConstraints=critical,CA:FALSE -addext extendedKeyUsage=serverAuth
 */
export const PUSH_FAKE_CA_CERT = path.join(TLS_DIR, 'cert.pem');
const PUSH_FAKE_KEY = path.join(TLS_DIR, 'key.pem');

/** An agent that trusts the fake, for in-process tests. */
export function pushFakeAgent(): https.Agent {
  return new https.Agent({ ca: readFileSync(PUSH_FAKE_CA_CERT) });
}

export const generateVapidKeys = webpush.generateVAPIDKeys;

/** One POST /push/<id> as the fake understood it. */
export interface ReceivedPush {
  subscriptionId: string;
  ttl: string | undefined;
  /** `vapid t=<JWT>, k=<public key>` when VAPID is used. */
  authorization: string | undefined;
  contentEncoding: string | undefined;
  urgency: string | undefined;
  /** RFC 8030 §5.4: a queued message with the same topic is replaced by this one. */
  topic: string | undefined;
  /** The encrypted payload; read it with the subscription's decrypt(). */
  body: Buffer;
  /** The status the fake answered with. */
  status: number;
}

/** A minimal RFC 8030 push service over TLS: accepts POST /push/<id>, answers 201 with a Location. */
export class PushServiceFake extends LoopbackFake<ReceivedPush> {
  private readonly goneSubscriptions = new Set<string>();
  private readonly failingSubscriptions = new Map<string, Array<{ status: number }>>();

  /** The next `count` pushes to this subscription are answered `status`; the others are not affected. */
  failSubscription(endpointOrId: string, status: number, count = 1): this {
    const id = endpointOrId.split('/').pop()!;
    this.failingSubscriptions.set(id, [...(this.failingSubscriptions.get(id) ?? []), ...Array.from({ length: count }, () => ({ status }))]);
    return this;
  }

  /** From now on this subscription answers 410 Gone, like an unsubscribed browser's. */
  expireSubscription(endpointOrId: string): this {
    this.goneSubscriptions.add(endpointOrId.split('/').pop()!);
    return this;
  }

  override reset(): void {
    super.reset();
    this.goneSubscriptions.clear();
    this.failingSubscriptions.clear();
  }

  protected readonly acceptedStatus = 201;

  protected override get scheme(): 'https' {
    return 'https';
  }

  protected override createServer(listener: (req: IncomingMessage, res: ServerResponse) => void) {
    return https.createServer({ cert: readFileSync(PUSH_FAKE_CA_CERT), key: readFileSync(PUSH_FAKE_KEY) }, listener);
  }

  protected handle(req: IncomingMessage, body: Buffer): FakeReply {
    const match = /^\/push\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return { status: 404 };
    const subscriptionId = match[1]!;
    const topic = req.headers['topic'] as string | undefined;
    const reply: FakeReply =
      this.failingSubscriptions.get(subscriptionId)?.shift() ??
      this.nextScriptedReply() ??
      // RFC 8030 §5.4; push services answer 400 to anything else.
      (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)
        ? { status: 400, body: 'Topic must be at most 32 characters of base64url' }
        : this.goneSubscriptions.has(subscriptionId)
          ? { status: 410, body: 'push subscription has unsubscribed or expired' }
          : { status: 201, headers: { location: `${this.baseUrl}/messages/${randomUUID()}` } });
    const header = (name: string) => req.headers[name] as string | undefined;
    this.received.push({
      subscriptionId,
      ttl: header('ttl'),
      authorization: header('authorization'),
      contentEncoding: header('content-encoding'),
      urgency: header('urgency'),
      topic,
      body,
      status: reply.status,
    });
    return reply;
  }
}

export interface FakePushSubscription {
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  /** Decrypts an aes128gcm push body the way the browser would. */
  decrypt: (body: Buffer) => string;
}

// http_ece ships no types; this is the slice we use.
const ece = require('http_ece') as {
  decrypt(buffer: Buffer, params: { version: 'aes128gcm'; privateKey: ReturnType<typeof createECDH>; authSecret: Buffer }): Buffer;
};

/** What a browser's pushManager.subscribe() would hand us: a fresh P-256 key pair and 16-byte auth secret. */
export function createPushSubscription(baseUrl: string, subscriptionId: string = randomUUID()): FakePushSubscription {
  const keyPair = createECDH('prime256v1');
  keyPair.generateKeys();
  const authSecret = randomBytes(16);
  return {
    subscription: {
      endpoint: `${baseUrl}/push/${subscriptionId}`,
      keys: { p256dh: keyPair.getPublicKey('base64url'), auth: authSecret.toString('base64url') },
    },
    decrypt: (body) => ece.decrypt(body, { version: 'aes128gcm', privateKey: keyPair, authSecret }).toString('utf8'),
  };
}
