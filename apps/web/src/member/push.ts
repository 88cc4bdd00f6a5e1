import { api } from '../api/client';

export type PushState = 'unsupported' | 'unavailable' | 'denied' | 'off' | 'on';

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

const supported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

async function registration(): Promise<ServiceWorkerRegistration> {
  return navigator.serviceWorker.register('/sw.js', { scope: '/' });
}

/** Where this browser stands: no push at all, the server has no VAPID key, the person said no, or on/off. */
export async function pushState(): Promise<PushState> {
  if (!supported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const { publicKey } = await api.get<{ publicKey: string | null }>('/v1/push/vapid-public-key');
  if (!publicKey) return 'unavailable';
  const existing = await (await registration()).pushManager.getSubscription();
  return existing ? 'on' : 'off';
}

/** Asks the browser for permission, subscribes with the server's VAPID key, and registers the subscription. */
export async function turnPushOn(): Promise<PushState> {
  const { publicKey } = await api.get<{ publicKey: string | null }>('/v1/push/vapid-public-key');
  if (!publicKey) return 'unavailable';
  if ((await Notification.requestPermission()) !== 'granted') return 'denied';
  const subscription = await (await registration()).pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
  await api.post('/v1/me/push-subscriptions', subscription.toJSON());
  return 'on';
}

export async function turnPushOff(): Promise<PushState> {
  const subscription = await (await registration()).pushManager.getSubscription();
  if (subscription) {
    await api.delete(`/v1/me/push-subscriptions?endpoint=${encodeURIComponent(subscription.endpoint)}`);
    await subscription.unsubscribe();
  }
  return 'off';
}
