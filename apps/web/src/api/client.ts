/**
 * The portal's one way to the API. The access token lives only in this module's memory (never in storage a
 * script could read later); the refresh token lives in the API's HttpOnly cookie, which only /v1/auth sees.
 * A 401 refreshes once and retries; a refresh that fails ends the session in the portal.
 */

export type Role = 'admin' | 'staff' | 'member';

export interface SessionUser {
  id: string;
  organizationId: string;
  role: Role;
  email: string;
  name: string;
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** An API error answer `{ statusCode, error, message, details? }`, with the fields it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: FieldProblem[] = [],
    readonly body: unknown = undefined,
  ) {
    super(message);
  }

  /** What a person should read: each named field's reason, or the message. */
  get summary(): string {
    return this.details.length > 0 ? this.details.map((d) => d.message).join('; ') : this.message;
  }

  messageFor(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.message;
  }
}

interface TokenAnswer {
  accessToken: string;
  expiresIn: number;
  user: SessionUser;
}

let accessToken: string | null = null;
let currentUser: SessionUser | null = null;
const listeners = new Set<() => void>();

function setSession(answer: TokenAnswer | null): void {
  accessToken = answer?.accessToken ?? null;
  const changed = (answer?.user.id ?? null) !== (currentUser?.id ?? null) || answer?.user.role !== currentUser?.role;
  currentUser = answer?.user ?? null;
  if (changed) listeners.forEach((listener) => listener());
}

export const session = {
  user: (): SessionUser | null => currentUser,
  subscribe: (listener: () => void): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

let refreshing: Promise<boolean> | null = null;

/**
 * One refresh at a time, in this tab and across tabs: the API ends the whole session when a rotated refresh token
 * is used twice, and two tabs refreshing with the same cookie at once would do exactly that. The Web Locks API
 * queues them; the second tab then sends the cookie the first one received.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const attempt = async () => {
      const response = await fetch('/v1/auth/refresh', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      if (!response.ok) {
        setSession(null);
        return false;
      }
      setSession((await response.json()) as TokenAnswer);
      return true;
    };
    try {
      return navigator.locks ? await navigator.locks.request('tidings-refresh', attempt) : await attempt();
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export async function logIn(email: string, password: string): Promise<SessionUser> {
  const answer = await send<TokenAnswer>('POST', '/v1/auth/login', { email, password }, { anonymous: true });
  setSession(answer);
  return answer.user;
}

export async function logOut(): Promise<void> {
  try {
    await fetch('/v1/auth/logout', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
      body: '{}',
    });
  } finally {
    setSession(null);
  }
}

interface SendOptions {
  anonymous?: boolean;
  /** The answer's bytes (a download), not JSON. */
  asBlob?: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

async function parse(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorOf(status: number, body: unknown): ApiError {
  const shaped = (typeof body === 'object' && body !== null ? body : {}) as { message?: unknown; details?: FieldProblem[] };
  const message =
    typeof shaped.message === 'string' ? shaped.message : status >= 500 ? 'The server could not do that just now. Try again.' : `Request failed (${status})`;
  return new ApiError(status, message, Array.isArray(shaped.details) ? shaped.details : [], body);
}

export async function send<T>(method: string, path: string, body?: unknown, options: SendOptions = {}): Promise<T> {
  const request = () =>
    fetch(path, {
      method,
      credentials: 'same-origin',
      signal: options.signal,
      headers: {
        ...(body !== undefined && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}),
        ...(accessToken && !options.anonymous ? { authorization: `Bearer ${accessToken}` } : {}),
        ...options.headers,
      },
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
  if (!options.anonymous && !accessToken) await refreshSession();
  let response = await request();
  if (response.status === 401 && !options.anonymous && (await refreshSession())) response = await request();
  if (options.asBlob && response.ok) return (await response.blob()) as T;
  const parsed = await parse(response);
  if (!response.ok) throw errorOf(response.status, parsed);
  return parsed as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => send<T>('GET', path, undefined, { signal }),
  post: <T>(path: string, body: unknown = {}, headers?: Record<string, string>) => send<T>('POST', path, body, { headers }),
  patch: <T>(path: string, body: unknown) => send<T>('PATCH', path, body),
  delete: <T>(path: string) => send<T>('DELETE', path),
  anonymousPost: <T>(path: string, body: unknown) => send<T>('POST', path, body, { anonymous: true }),
};

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * An upload with progress (fetch reports none for request bodies), authenticated like everything else.
 * Resolves with the API's answer; rejects with an ApiError.
 */
export async function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  if (!accessToken) await refreshSession();
  const attempt = () =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      if (accessToken) xhr.setRequestHeader('authorization', `Bearer ${accessToken}`);
      xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
      xhr.onload = () => {
        let body: unknown = xhr.responseText;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          // not JSON
        }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () => reject(new ApiError(0, 'The upload did not reach the server. Check the connection and try again.'));
      xhr.send(form);
    });
  let answer = await attempt();
  if (answer.status === 401 && (await refreshSession())) answer = await attempt();
  if (answer.status < 200 || answer.status >= 300) throw errorOf(answer.status, answer.body);
  onProgress(1);
  return answer.body as T;
}
