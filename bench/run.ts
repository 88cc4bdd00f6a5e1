import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Api, createOrganization } from '../test/support/api.js';
import { benchConversations, describeConversations } from './conversations.bench.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { Platform, TemporalDevServer } from '../test/support/platform.js';

/**
 * npm run bench — four figures for this machine:
 *  1. the bare Temporal server: workflows with one no-op activity started and completed per second;
 *  2. Tidings: messages accepted by POST /v1/messages, and delivered to the message center, per second;
 *  3. the lag between deliverAt and the message-center delivery for messages all due in the same second;
 *  4. conversations at size: inbox listing and opening latency, and replies posted per second (conversations.bench.ts).
 * Arguments name the cases to run (bare, throughput, lag, conversations), e.g. `node dist/bench/run.js conversations`;
 * none runs them all.
 */
const BARE_WORKFLOWS = Number(process.env.BENCH_BARE_WORKFLOWS ?? 1000);
const THROUGHPUT_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
const LAG_MESSAGES = Number(process.env.BENCH_LAG_MESSAGES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const CASES = ['bare', 'throughput', 'lag', 'conversations'] as const;

async function main() {
  const unknown = process.argv.slice(2).filter((name) => !(CASES as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown bench case ${unknown.join(', ')}; choose from ${CASES.join(', ')}`);
  const chosen = new Set(process.argv.length > 2 ? process.argv.slice(2) : CASES);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const bare = chosen.has('bare') ? await benchBareTemporal() : undefined;
  if (bare) print(`1. bare Temporal: ${bare.workflows} workflows with one no-op activity in ${bare.seconds.toFixed(2)} s = ${bare.perSecond.toFixed(1)} workflows/s`);

  const platform = ['throughput', 'lag', 'conversations'].some((name) => chosen.has(name)) ? await new Platform().start() : undefined;
  try {
    const throughput = platform && chosen.has('throughput') ? await benchThroughput(platform) : undefined;
    if (throughput) {
      print(
        `2. Tidings: ${throughput.messages} messages accepted at ${throughput.acceptedPerSecond.toFixed(1)}/s, ` +
          `delivered to the message center at ${throughput.deliveredPerSecond.toFixed(1)}/s` +
          (bare ? ` (${((throughput.deliveredPerSecond / bare.perSecond) * 100).toFixed(0)}% of bare Temporal)` : ''),
      );
    }
    const lag = platform && chosen.has('lag') ? await benchLag(platform) : undefined;
    if (lag) print(`3. lag for ${lag.messages} messages due in the same second: p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms`);
    const conversations = platform && chosen.has('conversations') ? await benchConversations(platform) : undefined;
    if (conversations) print(describeConversations(conversations));

    const result = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      cases: [...chosen],
      bareTemporal: bare,
      throughput: throughput && { ...throughput, ratioToBareTemporal: bare ? throughput.deliveredPerSecond / bare.perSecond : undefined },
      lag,
      conversations,
    };
    const dir = path.join(REPO_ROOT, 'bench/results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `bench-${result.at.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2));
    print(`written ${path.relative(REPO_ROOT, file)}`);
  } finally {
    await platform?.stop();
  }
}

async function benchBareTemporal() {
  const server = await new TemporalDevServer().start();
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  try {
    const worker = await Worker.create({
      connection,
      taskQueue: 'bench-bare',
      workflowsPath: require.resolve('./noop.workflow.js'),
      activities: { noop: async () => undefined },
    });
    return await worker.runUntil(async () => {
      // Warm the bundle and the caches before timing.
      await client.workflow.execute('oneNoopActivity', { taskQueue: 'bench-bare', workflowId: 'warm-up' });
      const started = performance.now();
      await inParallel(BARE_WORKFLOWS, CONCURRENCY, (i) =>
        client.workflow.execute('oneNoopActivity', { taskQueue: 'bench-bare', workflowId: `bare-${i}` }),
      );
      const seconds = (performance.now() - started) / 1000;
      return { workflows: BARE_WORKFLOWS, seconds, perSecond: BARE_WORKFLOWS / seconds };
    });
  } finally {
    await client.connection.close();
    await connection.close();
    await server.destroy();
  }
}

async function benchThroughput(platform: Platform) {
  const org = await createOrganization(platform.baseUrl);
  const members = await Promise.all(Array.from({ length: 10 }, () => org.addUser('member')));
  const started = performance.now();
  await inParallel(THROUGHPUT_MESSAGES, CONCURRENCY, async (i) => send(org.admin, members[i % members.length].id));
  const acceptedSeconds = (performance.now() - started) / 1000;
  await waitUntilDelivered(platform, org.id, THROUGHPUT_MESSAGES);
  const deliveredSeconds = (performance.now() - started) / 1000;
  return {
    messages: THROUGHPUT_MESSAGES,
    acceptedSeconds,
    acceptedPerSecond: THROUGHPUT_MESSAGES / acceptedSeconds,
    deliveredSeconds,
    deliveredPerSecond: THROUGHPUT_MESSAGES / deliveredSeconds,
  };
}

async function benchLag(platform: Platform) {
  const org = await createOrganization(platform.baseUrl);
  const members = await Promise.all(Array.from({ length: 10 }, () => org.addUser('member')));
  // Far enough ahead that every message is accepted and its workflow asleep before the second comes.
  const deliverAt = new Date(Math.ceil((Date.now() + 15_000 + LAG_MESSAGES * 15) / 1000) * 1000).toISOString();
  await inParallel(LAG_MESSAGES, CONCURRENCY, (i) => send(org.admin, members[i % members.length].id, deliverAt));
  if (Date.now() > Date.parse(deliverAt)) throw new Error('scheduling took longer than the lead time; raise it');
  await waitUntilDelivered(platform, org.id, LAG_MESSAGES);
  const rows = await platform.query<{ lag_ms: number }>(
    `select extract(epoch from (d.sent_at - m.deliver_at)) * 1000 as lag_ms
       from message m join message_delivery d on d.message_id = m.id and d.channel = 'message_center'
      where m.organization_id = $1 order by lag_ms`,
    [org.id],
  );
  const lags = rows.map((r) => Number(r.lag_ms));
  const at = (q: number) => Math.round(lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]);
  return { messages: lags.length, deliverAt, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: Math.round(lags[lags.length - 1]) };
}

async function send(admin: Api, recipientId: string, deliverAt?: string) {
  const response = await admin.post('/v1/messages', { recipientId, title: 'Benchmark', body: 'Benchmark message', channels: ['message_center'], ...(deliverAt ? { deliverAt } : {}) });
  if (response.status !== 202) throw new Error(`POST /v1/messages answered ${response.status}: ${JSON.stringify(response.body)}`);
}

async function waitUntilDelivered(platform: Platform, organizationId: string, expected: number) {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const [{ n }] = await platform.query<{ n: number }>(
      `select count(*)::int as n from message m join message_delivery d on d.message_id = m.id
        where m.organization_id = $1 and d.channel = 'message_center' and d.status = 'sent'`,
      [organizationId],
    );
    if (n >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${expected} messages were delivered`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

function print(line: string) {
  process.stdout.write(`${line}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
