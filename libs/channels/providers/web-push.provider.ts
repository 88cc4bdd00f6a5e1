import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import https, { type Agent } from 'node:https';
import { finished } from 'node:stream/promises';
import webpush from 'web-push';
import type { AppConfig } from '../../config/app-config.js';
import {
  PermanentDeliveryError,
  PushSubscriptionGoneError,
  TransientDeliveryError,
  type Notification,
  type PushProvider,
  type PushTarget,
  type SendOptions,
  type SendResult,
} from '../channel.js';
import { checkPushEndpoint, pinnedLookup, PushEndpointRefused, type AcceptedEndpoint, type ResolveHost } from '../push-endpoint.js';
import { deliveryErrorForStatus, isNetworkError } from './delivery-errors.js';
import { requestTimeoutOf, runProviderRequest, type ProviderRequestOptions } from './provider-request.js';

/** How long the push service may hold the message for an offline device before dropping it. */
const TTL_SECONDS = 24 * 3600;

export interface WebPushProviderOptions extends ProviderRequestOptions {
  /**
   * Only for tests that talk to a push service with a private CA inside an already-running process.
   * Production needs nothing here: requests go through node:https, which trusts the system store plus
   * NODE_EXTRA_CA_CERTS (read once at process start).
   */
  agent?: Agent;
  /** Only for tests: how the endpoint's host is resolved before each send (node:dns lookup otherwise). */
  lookup?: ResolveHost;
}

/**
 * The RFC 8030 §5.4 Topic for a delivery: a push service replaces a message still queued for the
 * device with a newer one of the same topic, so a resend after a lost answer does not show twice.
 * At most 32 characters of base64url: 24 bytes of the SHA-256 of the id encode to exactly 32.
 * Changing this derivation makes resends across a deploy duplicate, so keep it stable.
 */
export function pushTopicFor(deliveryId: string): string {
  return createHash('sha256').update(deliveryId).digest().subarray(0, 24).toString('base64url');
}

/** Sends Web Push (RFC 8030, aes128gcm payload encryption, VAPID) with the `web-push` package. */
export class WebPushProvider implements PushProvider {
  readonly name = 'webpush';
  readonly requestTimeoutMs: number;
  private readonly vapidDetails: { subject: string; publicKey: string; privateKey: string };
  private readonly allowPrivateHosts: boolean;

  constructor(
    settings: AppConfig['push'],
    private readonly options: WebPushProviderOptions = {},
  ) {
    const { vapidSubject, vapidPublicKey, vapidPrivateKey } = settings;
    if (!vapidSubject || !vapidPublicKey || !vapidPrivateKey) {
      throw new Error('WebPushProvider needs push.vapidSubject, push.vapidPublicKey and push.vapidPrivateKey');
    }
    // Passed per request rather than via setVapidDetails(), which writes module-wide state shared
    // by every WebPushLib instance in the process.
    this.vapidDetails = { subject: vapidSubject, publicKey: vapidPublicKey, privateKey: vapidPrivateKey };
    this.allowPrivateHosts = settings.allowPrivateHosts;
    this.requestTimeoutMs = requestTimeoutOf(options);
    // Signing a throwaway header validates the keys and subject now, not on the first delivery.
    webpush.getVapidHeaders('https://push.invalid', vapidSubject, vapidPublicKey, vapidPrivateKey, 'aes128gcm');
  }

  async send(target: PushTarget, notification: Notification, options: SendOptions = {}): Promise<SendResult> {
    const payload = JSON.stringify({ title: notification.subject, body: notification.text, url: notification.url });
    // web-push encrypts and signs; the request itself is ours, because its sendNotification() takes no
    // abort signal.
    const request = webpush.generateRequestDetails(target, payload, {
      vapidDetails: this.vapidDetails,
      TTL: TTL_SECONDS,
      contentEncoding: 'aes128gcm',
      ...(options.deliveryId ? { topic: pushTopicFor(options.deliveryId) } : {}),
    });
    return runProviderRequest('push service', this.requestTimeoutMs, options.signal, async (signal) => {
      // The endpoint was checked when it was stored, but its host's DNS answer may have changed since
      // (rebinding): check again now, and connect only to the addresses this check accepted.
      const endpoint = await this.checkedEndpoint(target.endpoint, signal);
      let answer: { status: number; headers: IncomingHttpHeaders };
      try {
        answer = await post(endpoint, request.headers, request.body, { signal, agent: this.options.agent });
      } catch (error) {
        if (isNetworkError(error)) throw new TransientDeliveryError(`push service unreachable: ${(error as Error).message}`);
        throw error;
      }
      const { status, headers } = answer;
      if (status === 404 || status === 410) throw new PushSubscriptionGoneError(target.endpoint, status);
      if (status < 200 || status > 299) throw deliveryErrorForStatus(status, `push service refused the notification (HTTP ${status})`, headers['retry-after']);
      // RFC 8030 §5: the push service names the message it accepted in Location.
      return { providerMessageId: headers.location };
    });
  }

  /**
   * The endpoint as checkPushEndpoint accepts it now. A refusal is permanent: the endpoint now points
   * somewhere it must not, and the delivery fails with that reason instead of knocking there for a day.
   * A failed look-up is transient.
   */
  private async checkedEndpoint(endpoint: string, signal: AbortSignal): Promise<AcceptedEndpoint> {
    try {
      return await abortable(checkPushEndpoint(endpoint, { allowPrivateHosts: this.allowPrivateHosts, lookup: this.options.lookup }), signal);
    } catch (error) {
      if (error instanceof PushEndpointRefused) throw new PermanentDeliveryError(`push endpoint refused before sending: ${error.reason}`);
      if (isNetworkError(error)) throw new TransientDeliveryError(`push service host could not be resolved: ${(error as Error).message}`);
      throw error;
    }
  }
}

/**
 * Settles as `promise` does, or rejects as soon as `signal` fires (a DNS look-up cannot itself be aborted);
 * runProviderRequest then says which side gave up.
 */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = () => new Error('aborted while resolving the push endpoint');
  if (signal.aborted) return Promise.reject(aborted());
  let onAbort: () => void = () => undefined;
  const abort = new Promise<never>((_, reject) => {
    onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, abort]).finally(() => signal.removeEventListener('abort', onAbort));
}

/**
 * One POST to the push service, to the URL that was checked (not the string again, so nothing parses it
 * differently) and over a connection pinned to the checked addresses; resolves with the answer once its
 * (unused) body has been read.
 */
function post(
  endpoint: AcceptedEndpoint,
  headers: webpush.Headers,
  body: Buffer | null,
  options: { signal: AbortSignal; agent: Agent | undefined },
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const pinned = endpoint.addresses.length > 0 ? { lookup: pinnedLookup(endpoint) } : {};
    const request = https.request(endpoint.url, { method: 'POST', headers, signal: options.signal, agent: options.agent, ...pinned }, (response) => {
      // Draining the body, not dropping it, keeps the connection reusable.
      response.resume();
      finished(response).then(() => resolve({ status: response.statusCode ?? 0, headers: response.headers }), reject);
    });
    request.on('error', reject);
    request.end(body ?? undefined);
  });
}
