import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import https, { type Agent } from 'node:https';
import { finished } from 'node:stream/promises';
import webpush from 'web-push';
import type { AppConfig } from '../../config/app-config.js';
import {
  PushSubscriptionGoneError,
  TransientDeliveryError,
  type Notification,
  type PushProvider,
  type PushTarget,
  type SendOptions,
  type SendResult,
} from '../channel.js';
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
      let answer: { status: number; headers: IncomingHttpHeaders };
      try {
        answer = await post(request.endpoint, request.headers, request.body, { signal, agent: this.options.agent });
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
}

/** One POST to the push service; resolves with the answer once its (unused) body has been read. */
function post(
  endpoint: string,
  headers: webpush.Headers,
  body: Buffer | null,
  options: { signal: AbortSignal; agent: Agent | undefined },
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = https.request(endpoint, { method: 'POST', headers, signal: options.signal, agent: options.agent }, (response) => {
      // Draining the body, not dropping it, keeps the connection reusable.
      response.resume();
      finished(response).then(() => resolve({ status: response.statusCode ?? 0, headers: response.headers }), reject);
    });
    request.on('error', reject);
    request.end(body ?? undefined);
  });
}
