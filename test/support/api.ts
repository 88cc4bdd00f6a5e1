import { BOOTSTRAP_TOKEN } from './constants.js';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small HTTP client for the public API, as a user's program would call it. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  as(token: string): Api {
    return new Api(this.baseUrl, token);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body ?? {}, headers);
  }
  patch<T = any>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** A well-formed id that names nothing. */
export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** The fields an error answer names, in order. */
export const fieldsOf = (response: ApiResponse) => (response.body.details ?? []).map((d: { field: string }) => d.field);

export interface TestOrganization {
  id: string;
  admin: Api;
  adminId: string;
  addUser(role: 'admin' | 'staff' | 'member', extra?: { phone?: string; email?: string; name?: string }): Promise<{ id: string; email: string; api: Api }>;
}

let sequence = 0;

/** A new organisation with its admin logged in, and a way to add logged-in users to it. */
export async function createOrganization(
  baseUrl: string,
  options: { notificationMode?: 'privacy' | 'convenience'; name?: string } = {},
): Promise<TestOrganization> {
  const anonymous = new Api(baseUrl);
  const tag = `${process.pid}-${Date.now()}-${++sequence}`;
  const password = 'a long test password';
  const created = await anonymous.post(
    '/v1/organizations',
    { name: options.name ?? `Org ${tag}`, admin: { email: `admin-${tag}@example.org`, name: 'Ada Admin', password } },
    { authorization: `Bearer ${BOOTSTRAP_TOKEN}` },
  );
  if (created.status !== 201) throw new Error(`could not create an organization: ${created.status} ${JSON.stringify(created.body)}`);
  const login = async (email: string) => {
    const response = await anonymous.post('/v1/auth/login', { email, password });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
    return anonymous.as(response.body.accessToken);
  };
  const admin = await login(created.body.admin.email);
  if (options.notificationMode) await admin.patch('/v1/organization/settings', { notificationMode: options.notificationMode });
  return {
    id: created.body.organization.id,
    admin,
    adminId: created.body.admin.id,
    async addUser(role, extra = {}) {
      const email = extra.email ?? `${role}-${tag}-${++sequence}@example.org`;
      const user = await admin.post('/v1/users', {
        email,
        name: extra.name ?? `${role} ${sequence}`,
        role,
        password,
        ...(extra.phone ? { phone: extra.phone } : {}),
      });
      if (user.status !== 201) throw new Error(`could not add a user: ${user.status} ${JSON.stringify(user.body)}`);
      return { id: user.body.id, email, api: await login(email) };
    },
  };
}

export const secondsFromNow = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` stops throwing (an expect that holds), or rethrows its last failure. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(150);
    }
  }
}
