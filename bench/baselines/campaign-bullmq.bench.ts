import { Queue, Worker } from 'bullmq';
import { Redis as IORedis } from 'ioredis';
import { Pool } from 'pg';
import { SendgridEmailProvider } from '../../libs/channels/providers/sendgrid-email.provider.js';
import { migrate } from '../../libs/database/migrate.js';
import type { SendgridFake } from '../../test/fakes/sendgrid-fake.js';
import { ADMIN_DATABASE_URL, adminQuery } from '../../test/support/platform.js';
import { sleep } from '../support.js';

/**
 * The campaign baseline, in Novu's design: one BullMQ job per recipient and channel, each doing the database
 * work Tidings does for that delivery and, for email, one SendGrid request with one recipient — through the
 * same provider class and the same SendGrid fake as the platform. The message center job inserts the
 * recipient's message row; the email job writes its ledger row, claims it, sends, and marks it sent.
 */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKER_CONCURRENCY = Number(process.env.BENCH_CAMPAIGN_BASELINE_CONCURRENCY ?? 50);
const SENDGRID_KEY = 'SG.bench-key';
const GIVE_UP_AFTER_MS = 30 * 60_000;

export type CampaignBaselineResult =
  | { recipients: number; deliveries: number; seconds: number; deliveriesPerSecond: number; workerConcurrency: number; skipped?: undefined }
  | { skipped: string };

export async function benchCampaignBaseline(recipients: number, sendgrid: SendgridFake, sendgridUrl: string): Promise<CampaignBaselineResult> {
  const probe = new IORedis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    return { skipped: `Redis is not reachable at ${REDIS_URL} (${(error as Error).message})` };
  } finally {
    probe.disconnect();
  }

  const databaseName = `tidings_bench_campaign_bullmq_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const databaseUrl = ADMIN_DATABASE_URL.replace(/\/[^/]*$/, `/${databaseName}`);
  const queueName = `tidings-bench-campaign-baseline-${process.pid}-${Date.now()}`;
  const queueConnection = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  const workerConnection = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  const email = new SendgridEmailProvider({
    provider: 'sendgrid',
    from: 'Tidings <no-reply@tidings.test>',
    sendgridApiKey: SENDGRID_KEY,
    sendgridApiBaseUrl: sendgridUrl,
    replyDomain: 'reply.bench.test',
    replySecret: 'bench-reply-secret-0123456789',
  });
  let pool: Pool | undefined;
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  await adminQuery(`create database "${databaseName}"`);
  try {
    await migrate(databaseUrl);
    pool = new Pool({ connectionString: databaseUrl, max: WORKER_CONCURRENCY });
    pool.on('error', () => undefined);
    const { organizationId, adminId, users } = await seed(pool, recipients);
    sendgrid.reset();
    const db = pool;
    let done = 0;
    queue = new Queue(queueName, { connection: queueConnection });
    worker = new Worker(
      queueName,
      async (job) => {
        const { userId, name, address } = job.data as { userId: string; name: string; address: string };
        if (job.name === 'message_center') {
          await db.query(
            `insert into message (id, organization_id, recipient_id, created_by_id, title, body, channels, status, deliver_at, delivered_at, workflow_id, created_at)
             values (gen_random_uuid(), $1, $2, $3, $4, $5, array['message_center', 'email'], 'delivered', now(), now(), $6, now())`,
            [organizationId, userId, adminId, `Hello ${name.split(' ')[0]}`, `Bench news for you, ${name}.`, `bullmq-${job.id}`],
          );
        } else {
          const {
            rows: [delivery],
          } = await db.query<{ id: string }>(
            `insert into delivery (id, organization_id, subject_type, subject_id, recipient_id, channel, kind, about_user_id, due_at, target, status)
             values (gen_random_uuid(), $1, 'message', gen_random_uuid(), $2, 'email', 'campaign', $2, now(), '', 'pending') returning id`,
            [organizationId, userId],
          );
          await db.query(`update delivery set status = 'sending', attempts = attempts + 1 where id = $1 and status = 'pending'`, [delivery.id]);
          const result = await email.send(
            { email: address, name },
            {
              subject: `Hello ${name.split(' ')[0]}`,
              text: `Bench news for you, ${name}.`,
              html: `<p>Bench news for you, ${name}.</p>`,
              url: 'https://bench.test',
            },
            undefined,
            { deliveryId: delivery.id },
          );
          await db.query(`update delivery set status = 'sent', sent_at = now(), provider_message_id = $2 where id = $1`, [
            delivery.id,
            result.providerMessageId ?? null,
          ]);
        }
        done += 1;
      },
      { connection: workerConnection, concurrency: WORKER_CONCURRENCY },
    );
    worker.on('error', (error) => process.stderr.write(`campaign baseline worker: ${error.message}\n`));
    await worker.waitUntilReady();

    const started = Date.now();
    // Queued as a fan-out step would: in chunks, one job per recipient and channel.
    for (let i = 0; i < users.length; i += 1000) {
      await queue.addBulk(
        users.slice(i, i + 1000).flatMap((user) => [
          { name: 'message_center', data: { userId: user.id, name: user.name, address: user.email }, opts: { removeOnComplete: true, attempts: 5 } },
          { name: 'email', data: { userId: user.id, name: user.name, address: user.email }, opts: { removeOnComplete: true, attempts: 5 } },
        ]),
      );
    }
    const expected = users.length * 2;
    while (done < expected) {
      if (Date.now() - started > GIVE_UP_AFTER_MS) throw new Error(`only ${done} of ${expected} baseline deliveries completed`);
      await sleep(100);
    }
    const seconds = (Date.now() - started) / 1000;
    return { recipients: users.length, deliveries: expected, seconds, deliveriesPerSecond: expected / seconds, workerConcurrency: WORKER_CONCURRENCY };
  } finally {
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await Promise.all([queueConnection.quit().catch(() => undefined), workerConnection.quit().catch(() => undefined)]);
    await pool?.end();
    await adminQuery(`drop database if exists "${databaseName}" with (force)`).catch(() => undefined);
  }
}

async function seed(pool: Pool, count: number) {
  const {
    rows: [org],
  } = await pool.query<{ id: string }>(`insert into organization (id, name, created_at) values (gen_random_uuid(), 'Bench baseline', now()) returning id`);
  const {
    rows: [admin],
  } = await pool.query<{ id: string }>(
    `insert into app_user (id, organization_id, email, name, role, created_at) values (gen_random_uuid(), $1, 'baseline-admin@bench.test', 'Admin', 'admin', now()) returning id`,
    [org.id],
  );
  const { rows: users } = await pool.query<{ id: string; name: string; email: string }>(
    `insert into app_user (id, organization_id, email, name, role, created_at)
     select gen_random_uuid(), $1, 'baseline-' || n || '@bench.test', 'Member ' || n, 'member', now() from generate_series(1, $2::int) n
     returning id, name, email`,
    [org.id, count],
  );
  return { organizationId: org.id, adminId: admin.id, users };
}
