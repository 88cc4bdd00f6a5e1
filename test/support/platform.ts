import { Client, Connection } from '@temporalio/client';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client as PgClient } from 'pg';
import { WORKER_NODE_FLAGS } from '../../apps/worker/node-flags.js';
import { migrate } from '../../libs/database/migrate.js';
import { TIDINGS_SEARCH_ATTRIBUTES } from '../../libs/temporal/search-attributes.js';
import { BOOTSTRAP_TOKEN } from './constants.js';
import { REPO_ROOT, TEMPORAL_CLI } from './paths.js';
import { freePort, ManagedProcess, waitFor } from './processes.js';

export { BOOTSTRAP_TOKEN };

export const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * How the file-backed dev server keeps its SQLite database, here and in scripts/start.sh (keep them alike).
 * WAL lets readers work beside the one writer, and with synchronous=normal syncs at checkpoints rather than
 * at every commit: about twice the rate of SQLite's defaults (bare case with BENCH_TEMPORAL_DB=file). synchronous=off
 * would never sync at all: a quarter faster on average in our runs (within the noise in some), but an OS
 * crash, a power cut or a killed VM (WSL, Docker Desktop) can then leave a corrupt file, and every workflow in
 * it — every message still scheduled in the developer's database — lost. normal can lose only the last
 * transactions and keeps the file sound; a local server needs tens of workflows a second, not hundreds.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/**
 * A Temporal dev server of its own, on free ports. `persistent` keeps its state in a temporary file so it
 * survives a restart (with `sqlitePragmas`, by default DEV_SERVER_SQLITE_PRAGMAS); otherwise it keeps it
 * in memory, which is faster.
 */
export class TemporalDevServer {
  readonly stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidings-temporal-'));

  constructor(private readonly options: { persistent?: boolean; sqlitePragmas?: string[] } = {}) {}

  process!: ManagedProcess;
  address!: string;

  async start(): Promise<this> {
    if (!this.address) this.address = `127.0.0.1:${await freePort()}`;
    const [ip, port] = this.address.split(':');
    this.process = new ManagedProcess(
      'temporal',
      TEMPORAL_CLI,
      [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        ip,
        '--port',
        port,
        '--log-level',
        'error',
        ...(this.options.persistent
          ? [
              '--db-filename',
              path.join(this.stateDir, 'temporal.db'),
              ...(this.options.sqlitePragmas ?? DEV_SERVER_SQLITE_PRAGMAS).flatMap((pragma) => ['--sqlite-pragma', pragma]),
            ]
          : []),
        ...TIDINGS_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
      ],
      process.env,
    ).start();
    await waitFor(
      'the Temporal dev server',
      async () => {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 1000 });
        try {
          await connection.workflowService.getSystemInfo({});
          return true;
        } finally {
          await connection.close();
        }
      },
      60_000,
    );
    return this;
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }

  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}

export interface PlatformOptions {
  env?: Record<string, string>;
  /** Keep Temporal's state on disk, for tests that restart the server. */
  persistentTemporal?: boolean;
}

/**
 * The whole platform as users run it: a fresh PostgreSQL database, a Temporal dev server, and the API
 * and worker as separate processes started from the built code.
 */
export class Platform {
  readonly databaseName = `tidings_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  readonly databaseUrl = ADMIN_DATABASE_URL.replace(/\/[^/]*$/, `/${this.databaseName}`);
  readonly temporal: TemporalDevServer;
  api!: ManagedProcess;
  worker!: ManagedProcess;
  baseUrl!: string;
  /** The worker's Prometheus endpoint, on a port of its own so platforms side by side do not collide. */
  workerMetricsUrl!: string;
  taskQueue = `tidings-test-${process.pid}`;
  client!: Client;
  /** The environment the API and worker were started with. */
  env: NodeJS.ProcessEnv = {};
  private readonly moreApis: ManagedProcess[] = [];

  constructor(private readonly options: PlatformOptions = {}) {
    this.temporal = new TemporalDevServer({ persistent: options.persistentTemporal });
  }

  async start(): Promise<this> {
    await adminQuery(`create database "${this.databaseName}"`);
    await migrate(this.databaseUrl);
    await this.temporal.start();
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    const workerMetricsPort = await freePort();
    this.workerMetricsUrl = `http://127.0.0.1:${workerMetricsPort}/metrics`;
    const env: NodeJS.ProcessEnv = (this.env = {
      ...process.env,
      NODE_OPTIONS: '',
      NODE_ENV: 'test',
      PORT: String(port),
      WORKER_METRICS_PORT: String(workerMetricsPort),
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporal.address,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      TIDINGS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
      JWT_SECRET: 'test-jwt-secret-0123456789abcdef',
      TIDINGS_APP_URL: 'https://app.tidings.test',
      // Suites post, upload and log in far faster than people do; test/e2e/request-limits sets the limits it tests.
      CONVERSATION_STARTS_PER_MINUTE: '100000',
      CONVERSATION_STARTS_PER_MINUTE_MEMBER: '100000',
      CONVERSATION_MESSAGES_PER_MINUTE: '100000',
      CONVERSATION_MESSAGES_PER_MINUTE_MEMBER: '100000',
      UPLOADS_PER_HOUR: '100000',
      LOGIN_FAILURES_PER_IP: '100000',
      ...this.options.env,
    });
    this.api = new ManagedProcess('api', process.execPath, [path.join(REPO_ROOT, 'dist/apps/api/main.js')], env).start();
    this.worker = new ManagedProcess('worker', process.execPath, [...WORKER_NODE_FLAGS, path.join(REPO_ROOT, 'dist/apps/worker/main.js')], env);
    await this.startWorker();
    await waitFor('the API to be healthy', async () => (await fetch(`${this.baseUrl}/health`)).status === 200, 60_000).catch((error) => {
      throw new Error(`${error.message}\n--- api output ---\n${this.api.output}`);
    });
    this.client = new Client({ connection: await Connection.connect({ address: this.temporal.address }) });
    return this;
  }

  async startWorker(): Promise<void> {
    this.worker.start();
    await waitFor(
      'the worker to poll',
      async () => this.worker.output.includes("state: 'RUNNING'") || this.worker.output.includes('polling task queue'),
      60_000,
    ).catch((error) => {
      throw new Error(`${error.message}\n--- worker output ---\n${this.worker.output}`);
    });
  }

  /** Another API process on the same database and Temporal, with `env` on top of the platform's: instances side by side. */
  async startApi(env: NodeJS.ProcessEnv = {}): Promise<{ baseUrl: string; api: ManagedProcess }> {
    const port = await freePort();
    const api = new ManagedProcess('api', process.execPath, [path.join(REPO_ROOT, 'dist/apps/api/main.js')], {
      ...this.env,
      ...env,
      PORT: String(port),
    }).start();
    this.moreApis.push(api);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitFor('the other API to be healthy', async () => (await fetch(`${baseUrl}/health`)).status === 200, 60_000).catch((error) => {
      throw new Error(`${error.message}\n--- api output ---\n${api.output}`);
    });
    return { baseUrl, api };
  }

  async stop(): Promise<void> {
    await this.client?.connection.close().catch(() => undefined);
    await Promise.all([this.api?.stop(), this.worker?.stop(), ...this.moreApis.map((api) => api.stop())]);
    await this.temporal.destroy();
    await adminQuery(`drop database if exists "${this.databaseName}" with (force)`).catch(() => undefined);
  }

  /** Direct reads of the database, for what the API does not show (audit records, raw rows). */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new PgClient({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }
}

/** A statement on the server's maintenance database: creating and dropping test databases. */
export async function adminQuery(sql: string): Promise<void> {
  const client = new PgClient({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
