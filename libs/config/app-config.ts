import * as fs from 'node:fs';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { sendgridPublicKey } from '../provider-events/sendgrid-signature.js';

/**
 * The whole process configuration, read once from the environment and validated at start.
 * Every bad value is reported together so an operator fixes them in one pass.
 */
export type EmailProviderName = 'log' | 'sendgrid';
export type SmsProviderName = 'log' | 'twilio';
export type PushProviderName = 'log' | 'webpush';

export interface AppConfig {
  port: number;
  /** Where the worker answers `GET /metrics` (Prometheus); 0 switches the worker's metrics off. */
  workerMetricsPort: number;
  databaseUrl: string;
  /** Public base URL of the Tidings web app; notification links point into its message center. */
  appUrl: string;
  bootstrapToken: string;
  jwtSecret: string;
  jwtTtlSeconds: number;
  /** The longest a login lasts however often it is refreshed (SESSION_MAX_HOURS). */
  sessionMaxHours: number;
  /**
   * How long (ms) the auth guard may reuse a user's status it looked up; a deactivated user's token keeps
   * working at most this long after the deactivation on an API instance that had just checked it. At most 2000.
   */
  authStatusCacheMs: number;
  /** `campaignTaskQueue`: campaigns run apart, so a large one never delays single messages or conversations. */
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    campaignTaskQueue: string;
    /**
     * TLS to the frontend, when any TEMPORAL_TLS* or TEMPORAL_API_KEY is set: the server's CA (else the system's),
     * a client certificate and key for mTLS, the name the server's certificate must carry. Read from PEM files at start.
     */
    tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; serverName?: string };
    /** A Temporal Cloud API key (sent as a bearer token, over TLS). */
    apiKey?: string;
    /**
     * TEMPORAL_UI_URL: where staff open a message's workflow from the portal
     * (`<url>/namespaces/<namespace>/workflows/<workflow id>`). Development's default is the dev server's UI; elsewhere
     * no link shows unless it is set.
     */
    uiUrl?: string;
  };
  /** NODE_ENV: 'development' and 'test' allow the development secrets; anything else, or nothing, is production. */
  mode: RuntimeMode;
  http: {
    /** Largest JSON body (HTTP_JSON_BODY_LIMIT_BYTES); a larger one is a 413 naming `body`. */
    jsonBodyLimitBytes: number;
    /** Origins (CORS_ORIGINS) whose pages may call the API from a browser; none means same-origin only. */
    corsOrigins: string[];
    /** Express's `trust proxy` (TRUST_PROXY): which proxies' X-Forwarded-For is believed for the client's address. */
    trustProxy: boolean | number | string[];
  };
  /** Absolute path where uploaded attachments are kept; never served as a directory. */
  attachmentsDir: string;
  /** Limits per client, shared by every API instance (libs/rate-limits); over one is a 429 with Retry-After. */
  rateLimits: {
    /** Failed logins per email, and per client address, in each window; counted before the password is checked. */
    loginFailuresPerEmail: number;
    loginFailuresPerIp: number;
    loginWindowMinutes: number;
    /** Conversations started and messages posted per user per minute: staff and admins, then members. */
    conversationStartsPerMinute: { staff: number; member: number };
    conversationMessagesPerMinute: { staff: number; member: number };
    uploadsPerHour: number;
    /** Bytes of attachments an organisation may keep; an upload past it is a 413. */
    organizationStorageBytes: number;
  };
  email: {
    provider: EmailProviderName;
    from: string;
    sendgridApiKey?: string;
    sendgridApiBaseUrl?: string;
    /** Domain of the signed reply-to addresses (`reply+<token>@<domain>`); its MX points at SendGrid Inbound Parse. */
    replyDomain: string;
    /** HMAC key that signs reply-to addresses. */
    replySecret: string;
    /**
     * Shared secret SendGrid Inbound Parse must present, as the basic-auth password of the webhook URL (never as
     * `?secret=`); without it inbound email is switched off (404).
     */
    inboundSecret?: string;
    /**
     * SendGrid's Signed Event Webhook verification key (base64 DER, ECDSA P-256); without it the event
     * webhook is switched off (404).
     */
    eventWebhookPublicKey?: string;
  };
  sms: {
    provider: SmsProviderName;
    twilioAccountSid?: string;
    twilioAuthToken?: string;
    twilioFromNumber?: string;
    twilioApiBaseUrl?: string;
    /** Campaign SMS per second (TWILIO_MAX_PER_SECOND): the pace of their task queue, across all workers. */
    maxPerSecond: number;
  };
  push: {
    provider: PushProviderName;
    vapidPublicKey?: string;
    vapidPrivateKey?: string;
    vapidSubject?: string;
    /**
     * PUSH_ALLOW_PRIVATE_HOSTS: push endpoints may point at loopback and private addresses (10/8, 172.16/12,
     * 192.168/16, 127/8, ::1, fc00::/7), IP literals included. Only for tests, whose push-service fake listens
     * on 127.0.0.1; refused in production. Link-local (cloud metadata), multicast and the like stay refused.
     */
    allowPrivateHosts: boolean;
  };
  /** The reconciler (libs/reconciler): repairs what a lost signal or a crash left out of step. */
  reconciler: {
    /** How often its Temporal Schedule runs it. */
    intervalSeconds: number;
    /** How long past due something must be before it counts as missed rather than in flight. */
    graceSeconds: number;
  };
}

export type RuntimeMode = 'production' | 'development' | 'test';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/tidings';

/**
 * Secrets a production process refuses: every development default below, the test platform's, and the
 * `.env.example` placeholders (test/config/app-config.spec.ts checks each of those is refused), besides anything
 * saying "change me" and anything under 32 bytes.
 */
const KNOWN_DEVELOPMENT_SECRETS = new Set([
  'dev-bootstrap-token-change-me',
  'dev-jwt-secret-change-me-please',
  'dev-email-reply-secret-change-me',
  'test-bootstrap-token-0123456789',
  'test-jwt-secret-0123456789abcdef',
  'test-email-reply-secret-0123456789',
]);
const PLACEHOLDER = /change[-_ ]?me|placeholder|example|secret-?0{4,}/i;
const MIN_PRODUCTION_SECRET_BYTES = 32;

/** Values Express's `trust proxy` takes by name (besides IP addresses and CIDR ranges). */
const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const str = (name: string, fallback?: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? fallback : value;
  };
  const required = (name: string, why: string): string => {
    const value = str(name);
    if (!value) problems.push(`${name} is required ${why}`);
    return value ?? '';
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = str(name, fallback)!;
    if (!allowed.includes(value as T)) problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    return value as T;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false (got "${raw}")`);
    return raw === 'true';
  };
  const url = (name: string, fallback?: string): string | undefined => {
    const value = str(name, fallback);
    if (value === undefined) return undefined;
    try {
      new URL(value);
    } catch {
      problems.push(`${name} must be a URL (got "${value}")`);
    }
    return value;
  };
  const mode: RuntimeMode = env.NODE_ENV === 'development' || env.NODE_ENV === 'test' ? env.NODE_ENV : 'production';
  // Never the value in a message: it would end up in the deployment's logs.
  const productionSecret = (name: string, value: string): void => {
    if (mode !== 'production') return;
    if (KNOWN_DEVELOPMENT_SECRETS.has(value) || PLACEHOLDER.test(value)) {
      problems.push(`${name} is a development or example value; production needs a secret of its own (e.g. openssl rand -base64 48)`);
    } else if (Buffer.byteLength(value) < MIN_PRODUCTION_SECRET_BYTES) {
      problems.push(`${name} must be at least ${MIN_PRODUCTION_SECRET_BYTES} bytes long in production`);
    }
  };
  const secret = (name: string, devFallback: string): string => {
    const value = str(name);
    if (value) {
      if (value.length < 16) problems.push(`${name} must be at least 16 characters long`);
      else productionSecret(name, value);
      return value;
    }
    if (mode === 'production') problems.push(`${name} is required in production`);
    return devFallback;
  };
  const trustProxy = (): boolean | number | string[] => {
    const raw = str('TRUST_PROXY', 'loopback')!.trim();
    if (raw === 'false') return false;
    if (/^\d+$/.test(raw)) return Number(raw);
    const entries = raw.split(',').map((entry) => entry.trim());
    const bad = entries.filter((entry) => !TRUST_PROXY_NAMES.includes(entry) && !isAddressOrRange(entry));
    if (raw === 'true' || bad.length > 0) {
      problems.push(
        `TRUST_PROXY must be false, a number of proxy hops, or a comma-separated list of ${TRUST_PROXY_NAMES.join(', ')}, IP addresses and CIDR ranges (got "${raw}")`,
      );
    }
    return entries;
  };
  const pemFile = (name: string, kind: RegExp, holding: string): Buffer | undefined => {
    const file = str(name);
    if (file === undefined) return undefined;
    try {
      const pem = fs.readFileSync(file);
      if (!kind.test(pem.toString('utf8'))) problems.push(`${name} must name a PEM file holding ${holding} (got "${file}")`);
      return pem;
    } catch (error) {
      problems.push(`${name} must name a readable file (got "${file}": ${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      return undefined;
    }
  };
  const temporalSecurity = (): Pick<AppConfig['temporal'], 'tls' | 'apiKey'> => {
    const ca = pemFile('TEMPORAL_TLS_CA', /-----BEGIN CERTIFICATE-----/, 'a certificate');
    const cert = pemFile('TEMPORAL_TLS_CERT', /-----BEGIN CERTIFICATE-----/, 'a certificate');
    const key = pemFile('TEMPORAL_TLS_KEY', /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key');
    const serverName = str('TEMPORAL_TLS_SERVER_NAME');
    const apiKey = str('TEMPORAL_API_KEY');
    if (Boolean(str('TEMPORAL_TLS_CERT')) !== Boolean(str('TEMPORAL_TLS_KEY'))) {
      problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: a client certificate needs its key, and a key its certificate');
    }
    const tlsOn = bool('TEMPORAL_TLS', false) || Boolean(ca || cert || key || serverName || apiKey);
    if (!tlsOn) return {};
    return { tls: { ca, cert, key, serverName }, ...(apiKey ? { apiKey } : {}) };
  };
  const corsOrigins = (): string[] => {
    const raw = str('CORS_ORIGINS');
    if (!raw) return [];
    return raw.split(',').map((entry) => {
      const origin = entry.trim();
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        // reported below
      }
      if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
        problems.push(`CORS_ORIGINS must be a comma-separated list of origins such as https://portal.example.org, without paths (got "${origin}")`);
      }
      return origin;
    });
  };

  const email = {
    provider: oneOf('EMAIL_PROVIDER', ['log', 'sendgrid'] as const, 'log'),
    from: str('EMAIL_FROM', 'Tidings <no-reply@tidings.local>')!,
    sendgridApiKey: str('SENDGRID_API_KEY'),
    sendgridApiBaseUrl: url('SENDGRID_API_BASE_URL'),
    replyDomain: str('EMAIL_REPLY_DOMAIN', 'reply.tidings.local')!.toLowerCase(),
    replySecret: secret('EMAIL_REPLY_SECRET', 'dev-email-reply-secret-change-me'),
    inboundSecret: str('INBOUND_EMAIL_SECRET'),
    eventWebhookPublicKey: str('SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY'),
  };
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(email.replyDomain)) {
    problems.push(`EMAIL_REPLY_DOMAIN must be a domain name (got "${email.replyDomain}")`);
  }
  if (email.inboundSecret !== undefined) {
    if (email.inboundSecret.length < 16) problems.push('INBOUND_EMAIL_SECRET must be at least 16 characters long');
    else productionSecret('INBOUND_EMAIL_SECRET', email.inboundSecret);
  }
  if (email.eventWebhookPublicKey !== undefined) {
    try {
      sendgridPublicKey(email.eventWebhookPublicKey);
    } catch (error) {
      problems.push(
        `SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY must be the verification key SendGrid shows (base64 ECDSA P-256 public key): ${(error as Error).message}`,
      );
    }
  }
  if (email.provider === 'sendgrid') {
    required('SENDGRID_API_KEY', 'when EMAIL_PROVIDER=sendgrid');
    required('EMAIL_FROM', 'when EMAIL_PROVIDER=sendgrid');
  }

  const sms = {
    provider: oneOf('SMS_PROVIDER', ['log', 'twilio'] as const, 'log'),
    twilioAccountSid: str('TWILIO_ACCOUNT_SID'),
    twilioAuthToken: str('TWILIO_AUTH_TOKEN'),
    twilioFromNumber: str('TWILIO_FROM_NUMBER'),
    twilioApiBaseUrl: url('TWILIO_API_BASE_URL'),
    maxPerSecond: int('TWILIO_MAX_PER_SECOND', 10, 1, 1000),
  };
  if (sms.provider === 'twilio') {
    const sid = required('TWILIO_ACCOUNT_SID', 'when SMS_PROVIDER=twilio');
    if (sid && !sid.startsWith('AC')) problems.push('TWILIO_ACCOUNT_SID must start with "AC"');
    required('TWILIO_AUTH_TOKEN', 'when SMS_PROVIDER=twilio');
    required('TWILIO_FROM_NUMBER', 'when SMS_PROVIDER=twilio');
  }

  const push = {
    provider: oneOf('PUSH_PROVIDER', ['log', 'webpush'] as const, 'log'),
    vapidPublicKey: str('VAPID_PUBLIC_KEY'),
    vapidPrivateKey: str('VAPID_PRIVATE_KEY'),
    vapidSubject: str('VAPID_SUBJECT'),
    allowPrivateHosts: bool('PUSH_ALLOW_PRIVATE_HOSTS', false),
  };
  if (push.allowPrivateHosts && mode === 'production') {
    problems.push('PUSH_ALLOW_PRIVATE_HOSTS must not be true in production (push endpoints could then reach the internal network)');
  }
  if (push.provider === 'webpush') {
    required('VAPID_PUBLIC_KEY', 'when PUSH_PROVIDER=webpush');
    required('VAPID_PRIVATE_KEY', 'when PUSH_PROVIDER=webpush');
    const subject = required('VAPID_SUBJECT', 'when PUSH_PROVIDER=webpush (a mailto: or https: URL)');
    if (subject && !/^(mailto:|https:)/.test(subject)) problems.push('VAPID_SUBJECT must be a mailto: or https: URL');
  }

  // Relative to the working directory, like any path an operator types; created when the API starts.
  const attachmentsDir = path.resolve(str('ATTACHMENTS_DIR', '.data/attachments')!);
  if (attachmentsDir === path.parse(attachmentsDir).root) problems.push('ATTACHMENTS_DIR must not be the filesystem root');
  else {
    let nearest = attachmentsDir;
    while (!fs.existsSync(nearest)) nearest = path.dirname(nearest);
    if (!fs.statSync(nearest).isDirectory()) {
      problems.push(
        nearest === attachmentsDir
          ? `ATTACHMENTS_DIR must be a directory (got "${attachmentsDir}", which is not)`
          : `ATTACHMENTS_DIR cannot be created (got "${attachmentsDir}"; "${nearest}" is not a directory)`,
      );
    }
  }

  const config: AppConfig = {
    mode,
    http: {
      jsonBodyLimitBytes: int('HTTP_JSON_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
      corsOrigins: corsOrigins(),
      trustProxy: trustProxy(),
    },
    port: int('PORT', 3000, 0, 65535),
    // 9464 is the usual Prometheus exporter port; unset or empty means it, like every other setting.
    workerMetricsPort: int('WORKER_METRICS_PORT', 9464, 0, 65535),
    databaseUrl: url('DATABASE_URL', DEFAULT_DATABASE_URL)!,
    appUrl: url('TIDINGS_APP_URL', 'http://localhost:3000')!.replace(/\/$/, ''),
    bootstrapToken: secret('TIDINGS_BOOTSTRAP_TOKEN', 'dev-bootstrap-token-change-me'),
    jwtSecret: secret('JWT_SECRET', 'dev-jwt-secret-change-me-please'),
    // Short: an access token cannot be called back once issued beyond the per-request session check, and the
    // refresh token renews it.
    jwtTtlSeconds: int('JWT_TTL_SECONDS', 900, 60, 24 * 3600),
    sessionMaxHours: int('SESSION_MAX_HOURS', 12, 1, 24 * 30),
    authStatusCacheMs: int('AUTH_STATUS_CACHE_MS', 2000, 0, 2000),
    temporal: {
      address: str('TEMPORAL_ADDRESS', 'localhost:7233')!,
      namespace: str('TEMPORAL_NAMESPACE', 'default')!,
      taskQueue: str('TEMPORAL_TASK_QUEUE', 'tidings')!,
      campaignTaskQueue: str('TEMPORAL_CAMPAIGN_TASK_QUEUE', `${str('TEMPORAL_TASK_QUEUE', 'tidings')!}-campaigns`)!,
      uiUrl: url('TEMPORAL_UI_URL', mode === 'development' ? 'http://localhost:8233' : undefined)?.replace(/\/$/, ''),
      ...temporalSecurity(),
    },
    attachmentsDir,
    rateLimits: {
      loginFailuresPerEmail: int('LOGIN_FAILURES_PER_EMAIL', 5, 1, 1000),
      loginFailuresPerIp: int('LOGIN_FAILURES_PER_IP', 100, 1, 100_000),
      loginWindowMinutes: int('LOGIN_FAILURE_WINDOW_MINUTES', 15, 1, 24 * 60),
      // A busy care manager answers a message every few seconds at most; members write far less.
      conversationStartsPerMinute: {
        staff: int('CONVERSATION_STARTS_PER_MINUTE', 60, 1, 100_000),
        member: int('CONVERSATION_STARTS_PER_MINUTE_MEMBER', 10, 1, 100_000),
      },
      conversationMessagesPerMinute: {
        staff: int('CONVERSATION_MESSAGES_PER_MINUTE', 120, 1, 100_000),
        member: int('CONVERSATION_MESSAGES_PER_MINUTE_MEMBER', 30, 1, 100_000),
      },
      uploadsPerHour: int('UPLOADS_PER_HOUR', 200, 1, 1_000_000),
      organizationStorageBytes: int('ORG_STORAGE_QUOTA_BYTES', 10 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    },
    email,
    sms,
    push,
    reconciler: {
      intervalSeconds: int('RECONCILE_INTERVAL_SECONDS', 60, 1, 24 * 3600),
      graceSeconds: int('RECONCILE_GRACE_SECONDS', 30, 1, 3600),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** An IPv4/IPv6 address, or one with a /prefix length that fits it. */
function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
