import { Queue, Worker } from 'bullmq';
import { Redis as IORedis } from 'ioredis';
import { Pool } from 'pg';
import { migrate } from '../../libs/database/migrate.js';
import { dueSecondAfter, type Lags, sleep, summarizeLags } from '../support.js';
import { ADMIN_DATABASE_URL, adminQuery } from '../../test/support/platform.js';

/**
 * The baseline for the message-center lag: the same burst (messages all due in the same second) through
 * the plainest durable alternative to a workflow per message — a BullMQ delayed job per message, whose
 * worker does exactly the database work of the message-center delivery (MessageDeliveryService.claim):
 * the message moves from scheduled to delivered and its message_center delivery row is marked sent, in one
 * statement, on a fresh database with the project's schema.
 */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * A job spends its time waiting — on Redis to hand it over and on PostgreSQL's commit — not computing, so
 * it takes several per core to keep 2 cores busy, and concurrent commits share a flush. On this machine 8
 * and 16 were best by turns (noisy), 2 and 4 clearly slower, 32 slower again (too many connections queueing
 * on two cores).
 */
const WORKER_CONCURRENCY = Number(process.env.BENCH_BASELINE_CONCURRENCY ?? 16);
const MEMBERS = 10;
const LEAD_MS = 5000;
const GIVE_UP_AFTER_MS = 10 * 60_000;

/**
 * What a job-per-message design must do at the due time before the message shows: the claim of
 * libs/messages/message-delivery.service.ts (without its 50 ms of tolerance for timers that fire early).
 */
const CLAIM = `
  update message set status = 'delivered', delivered_at = now()
   where id = $1 and status = 'scheduled' and deliver_at <= now()
  returning id`;

export type BaselineResult =
  (Lags & { deliverAt: string; queue: string; workerConcurrency: number; retried: number; skipped?: undefined }) | { skipped: string };

export async function benchBullmqBaseline(count: number): Promise<BaselineResult> {
  const unreachable = await redisUnreachable();
  if (unreachable) return { skipped: `Redis is not reachable at ${REDIS_URL} (${unreachable})` };

  const databaseName = `tidings_bench_bullmq_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const databaseUrl = ADMIN_DATABASE_URL.replace(/\/[^/]*$/, `/${databaseName}`);
  const queueName = `tidings-bench-baseline-${process.pid}-${Date.now()}`;
  const queueConnection = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  const workerConnection = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  let pool: Pool | undefined;
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  await adminQuery(`create database "${databaseName}"`);
  try {
    await migrate(databaseUrl);
    pool = new Pool({ connectionString: databaseUrl, max: WORKER_CONCURRENCY });
    // An idle connection cut when the database is dropped at the end is no failure of the bench.
    pool.on('error', () => undefined);
    const deliverAt = dueSecondAfter(LEAD_MS);
    const messageIds = await seed(pool, count, deliverAt);

    const completedAt = new Map<string, number>();
    let retried = 0;
    const db = pool;
    queue = new Queue(queueName, { connection: queueConnection });
    worker = new Worker(
      queueName,
      async (job) => {
        const { rows } = await db.query(CLAIM, [job.data.messageId]);
        if (rows.length === 0) {
          retried++;
          throw new Error('not claimed');
        }
        completedAt.set(job.data.messageId, Date.now());
      },
      { connection: workerConnection, concurrency: WORKER_CONCURRENCY },
    );
    worker.on('error', (error) => process.stderr.write(`bullmq baseline worker: ${error.message}\n`));
    await worker.waitUntilReady();

    const now = Date.now();
    await queue.addBulk(
      messageIds.map((messageId) => ({
        name: 'deliver',
        data: { messageId },
        opts: {
          jobId: messageId,
          delay: deliverAt.getTime() - now,
          // A job run a hair before the database's clock reaches deliver_at finds nothing to claim; it is tried again.
          attempts: 5,
          backoff: { type: 'fixed', delay: 10 },
          removeOnComplete: true,
        },
      })),
    );
    if (Date.now() > deliverAt.getTime()) throw new Error('queueing the jobs took longer than the lead time');

    const deadline = deliverAt.getTime() + GIVE_UP_AFTER_MS;
    while (completedAt.size < count) {
      if (Date.now() > deadline) throw new Error(`only ${completedAt.size} of ${count} baseline jobs completed`);
      await sleep(50);
    }
    const due = deliverAt.getTime();
    return {
      ...summarizeLags([...completedAt.values()].map((at) => at - due)),
      deliverAt: deliverAt.toISOString(),
      queue: queueName,
      workerConcurrency: WORKER_CONCURRENCY,
      retried,
    };
  } finally {
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await Promise.all([queueConnection.quit().catch(() => undefined), workerConnection.quit().catch(() => undefined)]);
    await pool?.end();
    await adminQuery(`drop database if exists "${databaseName}" with (force)`).catch(() => undefined);
  }
}

/** One organisation, its admin and MEMBERS members, and `count` messages to them due at `deliverAt`, as the API writes them. */
async function seed(pool: Pool, count: number, deliverAt: Date): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const {
      rows: [org],
    } = await client.query(`insert into organization (id, name, created_at) values (gen_random_uuid(), 'Bench baseline', now()) returning id`);
    const { rows: users } = await client.query(
      `insert into app_user (id, organization_id, email, name, role, created_at)
       select gen_random_uuid(), $1, 'baseline-' || g || '@example.org', 'User ' || g, case when g = 0 then 'admin' else 'member' end, now()
         from generate_series(0, $2::int) g
       returning id, role`,
      [org.id, MEMBERS],
    );
    const adminId = users.find((u) => u.role === 'admin').id;
    const memberIds = users.filter((u) => u.role === 'member').map((u) => u.id);
    const { rows: messages } = await client.query(
      `insert into message (id, organization_id, recipient_id, created_by_id, title, body, channels, status, deliver_at, workflow_id, created_at)
       select id, $1, ($2::uuid[])[1 + g % array_length($2::uuid[], 1)], $3, 'Benchmark', 'Benchmark message', array['message_center'], 'scheduled', $4, 'bullmq-' || id, now()
         from (select gen_random_uuid() as id, g from generate_series(0, $5::int - 1) g) m
       returning id`,
      [org.id, memberIds, adminId, deliverAt, count],
    );
    await client.query('commit');
    return messages.map((m) => m.id);
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

/** Why Redis cannot be used, or undefined when it answers. */
async function redisUnreachable(): Promise<string | undefined> {
  const probe = new IORedis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The socket's own error (ECONNREFUSED …) says more than the "Connection is closed." connect() rejects with.
  let socketError: Error | undefined;
  probe.on('error', (error: Error) => (socketError ??= error));
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return (socketError ?? (error as Error)).message;
  } finally {
    probe.disconnect();
  }
}
