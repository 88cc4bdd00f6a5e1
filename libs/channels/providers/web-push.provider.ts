import type { Agent } from 'node:https';
import webpush, { WebPushError } from 'web-push';
import type { AppConfig } from '../../config/app-config.js';
import {
  PushSubscriptionGoneError,
  TransientDeliveryError,
  type Notification,
  type PushProvider,
  type PushTarget,
  type SendResult,
} from '../channel.js';
import { deliveryErrorForStatus, isNetworkError } from './delivery-errors.js';

const REQUEST_TIMEOUT_MS = 15_000;
/** How long the push service may hold the message for an offline device before dropping it. */
const TTL_SECONDS = 24 * 3600;

export interface WebPushProviderOptions {
  /**
   * Only for tests that talk to a push service with a private CA inside an already-running process.
   * Production needs nothing here: web-push uses node:https, which trusts the system store plus
   * NODE_EXTRA_CA_CERTS (read once at process start).
   */
  agent?: Agent;
}

/** Sends Web Push (RFC 8030, aes128gcm payload encryption, VAPID) with the `web-push` package. */
export class WebPushProvider implements PushProvider {
  readonly name = 'webpush';
  private readonly vapidDetails: { subject: string; publicKey: string; privateKey: string };

  constructor(settings: AppConfig['push'], private readonly options: WebPushProviderOptions = {}) {
    const { vapidSubject, vapidPublicKey, vapidPrivateKey } = settings;
    if (!vapidSubject || !vapidPublicKey || !vapidPrivateKey) {
      throw new Error('WebPushProvider needs push.vapidSubject, push.vapidPublicKey and push.vapidPrivateKey');
    }
    // Passed per request rather than via setVapidDetails(), which writes module-wide state shared
    // by every WebPushLib instance in the process.
    this.vapidDetails = { subject: vapidSubject, publicKey: vapidPublicKey, privateKey: vapidPrivateKey };
    // Signing a throwaway header validates the keys and subject now, not on the first delivery.
    webpush.getVapidHeaders('https://push.invalid', vapidSubject, vapidPublicKey, vapidPrivateKey, 'aes128gcm');
  }

  async send(target: PushTarget, notification: Notification): Promise<SendResult> {
    const payload = JSON.stringify({ title: notification.subject, body: notification.text, url: notification.url });
    try {
      const result = await webpush.sendNotification(target, payload, {
        vapidDetails: this.vapidDetails,
        TTL: TTL_SECONDS,
        contentEncoding: 'aes128gcm',
        timeout: REQUEST_TIMEOUT_MS,
        ...(this.options.agent ? { agent: this.options.agent } : {}),
      });
      // RFC 8030 §5: the push service names the message it accepted in Location.
      const location: unknown = result.headers['location'];
      return { providerMessageId: typeof location === 'string' ? location : undefined };
    } catch (error) {
      throw toDeliveryError(error, target.endpoint);
    }
  }
}

function toDeliveryError(error: unknown, endpoint: string): unknown {
  if (error instanceof WebPushError) {
    const status = error.statusCode;
    if (status === 404 || status === 410) return new PushSubscriptionGoneError(endpoint, status);
    return deliveryErrorForStatus(status, `push service refused the notification (HTTP ${status})`);
  }
  if (isNetworkError(error)) return new TransientDeliveryError(`push service unreachable: ${(error as Error).message}`);
  return error;
}
