import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SendgridFake } from '../test/fakes/sendgrid-fake.js';
import { createOrganization } from '../test/support/api.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { DEV_SERVER_SQLITE_PRAGMAS, Platform, TemporalDevServer } from '../test/support/platform.js';
import { type BaselineResult, benchBullmqBaseline } from './baselines/bullmq.bench.js';
import { benchCampaignBaseline, type CampaignBaselineResult } from './baselines/campaign-bullmq.bench.js';
import { benchCampaign } from './campaign.bench.js';
import { benchChatRequests } from './chat-requests.bench.js';
import { benchConversations, describeConversations } from './conversations.bench.js';
import { benchInboxBrowser, describeInboxBrowser } from './inbox-browser.bench.js';
import { benchEmailLag, benchMessageCenterLag, schedule } from './lag.bench.js';
import { benchPortalBundle, describePortalBundle } from './portal.bench.js';
import { benchSanitize, describeSanitize } from './sanitize.bench.js';
import { inParallel, type Lags, print } from './support.js';

/**
 * npm run bench — the figures of the delivery issue for this machine, with its targets beside them:
 *  bare           the bare Temporal dev server: workflows with one no-op activity started and completed per second
 *                 (in memory like the platform's, or BENCH_TEMPORAL_DB=file with BENCH_SQLITE_PRAGMAS='a=b,c=d'
 *                 to compare the file-backed server's SQLite settings);
 *  baseline       the message-center lag of a BullMQ delayed job per message doing the claim's database work;
 *  throughput     scheduled messages accepted by POST /v1/messages per second, and recorded delivered by their workflows;
 *  lag            the message-center lag for BENCH_LAG_MESSAGES messages due in the same second, as clients polling
 *                 GET /v1/me/messages see it;
 *  email-lag      the same burst with email too: when the SendGrid fake receives each mail (needs bare, for its target);
 *  conversations  at size: inbox listing and opening latency, and replies accepted per second (conversations.bench.ts);
 *  campaign       one campaign to 100,000 members (message center + email through the SendGrid fake): time from
 *                 deliverAt to the last delivery, deliveries/s, the worker's peak RSS, the lag of 100 single
 *                 messages due mid-campaign; and beside it a BullMQ baseline in Novu's design (campaign.bench.ts);
 *  inbox-browser  the portal's inbox in chromium for a staff user with 10,000 conversations: page load, Show more,
 *                 scrolling, a live poll and the main thread's long tasks (inbox-browser.bench.ts; needs the portal
 *                 built in dist/web and chromium);
 *  chat-requests  chat requests created per second (beside bare Temporal's rate when bare runs too), and a care manager's
 *                 open-task queue read with 10,000 open tasks across 50 care managers (chat-requests.bench.ts);
 *  sanitize       the time one rich-text body or inbound mail takes to sanitize, for the worst inputs at the size limits
 *                 (sanitize.bench.ts; no platform needed);
 *  portal         the portal's JavaScript and CSS as browsers download them, gzipped: the first load and each
 *                 on-demand chunk (portal.bench.ts; reads dist/web).
 * Arguments name the cases to run, e.g. `node dist/bench/run.js lag email-lag`; none runs them all.
 */
const BARE_WORKFLOWS = Number(process.env.BENCH_BARE_WORKFLOWS ?? 1000);
const THROUGHPUT_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
const WARM_UP_MESSAGES = 100;
const LAG_MESSAGES = Number(process.env.BENCH_LAG_MESSAGES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const CASES = [
  'portal',
  'sanitize',
  'bare',
  'baseline',
  'throughput',
  'lag',
  'email-lag',
  'conversations',
  'inbox-browser',
  'chat-requests',
  'campaign',
] as const;
const PLATFORM_CASES = ['throughput', 'lag', 'email-lag', 'conversations', 'inbox-browser', 'chat-requests', 'campaign'];
const SENDGRID_KEY = 'SG.bench-key';

/** The delivery issue's targets. */
const TARGETS = {
  messageCenterP99Ms: 50,
  /** Email p99 ≤ the burst at the bare server's rate plus this. */
  emailSlackMs: 2000,
  scheduledAcceptedPerSecond: 200,
  conversationMessagesAcceptedPerSecond: 100,
  taskQueueP99Ms: 50,
  campaignSeconds: 60,
  campaignBaselineRatio: 2,
  campaignWorkerRssMb: 500,
  sanitizeMs: 100,
};

async function main() {
  const unknown = process.argv.slice(2).filter((name) => !(CASES as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown bench case ${unknown.join(', ')}; choose from ${CASES.join(', ')}`);
  const chosen = new Set<string>(process.argv.length > 2 ? process.argv.slice(2) : CASES);
  if (chosen.has('email-lag') && !chosen.has('bare')) {
    print('email-lag: its target comes from the bare Temporal rate of the same run, so bare runs too');
    chosen.add('bare');
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const started = new Date();

  // Without the platform first, so nothing else competes for the two cores.
  const portal = chosen.has('portal') ? benchPortalBundle() : undefined;
  if (portal) describePortalBundle(portal).forEach(print);
  const sanitize = chosen.has('sanitize') ? benchSanitize() : undefined;
  if (sanitize) describeSanitize(sanitize).forEach(print);
  const bare = chosen.has('bare') ? await benchBareTemporal() : undefined;
  if (bare) {
    print(
      `bare Temporal (${bare.store}${bare.sqlitePragmas ? `, ${bare.sqlitePragmas.join(' ') || 'no pragmas'}` : ''}): ` +
        `${bare.workflows} workflows with one no-op activity in ${bare.seconds.toFixed(2)} s = ${bare.perSecond.toFixed(1)} workflows/s`,
    );
  }
  const baseline = chosen.has('baseline') ? await benchBullmqBaseline(LAG_MESSAGES) : undefined;
  if (baseline?.skipped !== undefined) print(`baseline skipped: ${baseline.skipped}`);
  else if (baseline)
    print(
      `BullMQ baseline, ${baseline.messages} delayed jobs due in the same second (worker concurrency ${baseline.workerConcurrency}): ${lagFigures(baseline)}`,
    );

  const sendgrid = new SendgridFake(SENDGRID_KEY);
  let platform: Platform | undefined;
  try {
    if (PLATFORM_CASES.some((name) => chosen.has(name))) {
      const sendgridUrl = await sendgrid.start();
      // Email always goes to the fake, so every case runs the platform configured alike.
      platform = await new Platform({
        env: { EMAIL_PROVIDER: 'sendgrid', SENDGRID_API_KEY: SENDGRID_KEY, SENDGRID_API_BASE_URL: sendgridUrl, EMAIL_FROM: 'Tidings <no-reply@tidings.test>' },
      }).start();
    }
    const throughput = platform && chosen.has('throughput') ? await benchThroughput(platform) : undefined;
    if (throughput) {
      print(
        `scheduled messages: ${throughput.messages} accepted at ${throughput.acceptedPerSecond.toFixed(1)}/s ` +
          `${verdict(`≥ ${TARGETS.scheduledAcceptedPerSecond}/s`, throughput.acceptedPerSecond >= TARGETS.scheduledAcceptedPerSecond)}, ` +
          `recorded delivered by their workflows at ${throughput.deliveredPerSecond.toFixed(1)}/s` +
          (bare ? ` (${((throughput.deliveredPerSecond / bare.perSecond) * 100).toFixed(0)}% of bare Temporal)` : ''),
      );
    }
    const messageCenter = platform && chosen.has('lag') ? await benchMessageCenterLag(platform, LAG_MESSAGES) : undefined;
    if (messageCenter) {
      print(
        `message-center lag, ${messageCenter.messages} messages due in the same second, as ${messageCenter.members} polling clients see it ` +
          `(one look at an inbox took p50 ${Math.round(messageCenter.polls.p50Ms)} ms, p99 ${Math.round(messageCenter.polls.p99Ms)} ms): ${lagFigures(messageCenter)} ` +
          `${verdict(`p99 ≤ ${TARGETS.messageCenterP99Ms} ms`, messageCenter.p99Ms <= TARGETS.messageCenterP99Ms)}` +
          (messageCenter.seenEarly ? `; ${messageCenter.seenEarly} shown BEFORE deliverAt` : '') +
          (messageCenter.polls.failed ? `; ${messageCenter.polls.failed} looks failed (${messageCenter.polls.firstFailure})` : ''),
      );
    }
    const emailLag = platform && chosen.has('email-lag') ? await benchEmailLag(platform, sendgrid, LAG_MESSAGES) : undefined;
    const emailTargetMs = bare && emailLag ? (emailLag.messages / bare.perSecond) * 1000 + TARGETS.emailSlackMs : undefined;
    if (emailLag) {
      print(
        `email lag, ${emailLag.messages} messages (message center + email) due in the same second, at the SendGrid fake: ${lagFigures(emailLag)} ` +
          (emailTargetMs !== undefined && bare
            ? `${verdict(`p99 ≤ ${emailLag.messages}/${bare.perSecond.toFixed(1)} per s + 2 s = ${(emailTargetMs / 1000).toFixed(1)} s`, emailLag.p99Ms <= emailTargetMs)} ` +
              `(bare Temporal ${bare.perSecond.toFixed(1)} workflows/s in this run)`
            : '') +
          (emailLag.refused ? `; the fake refused ${emailLag.refused} requests` : ''),
      );
    }
    const conversations = platform && chosen.has('conversations') ? await benchConversations(platform) : undefined;
    if (conversations) {
      print(describeConversations(conversations));
      print(
        `conversation messages: ${conversations.post.posted} accepted at ${conversations.post.perSecond.toFixed(1)}/s ` +
          verdict(`≥ ${TARGETS.conversationMessagesAcceptedPerSecond}/s`, conversations.post.perSecond >= TARGETS.conversationMessagesAcceptedPerSecond),
      );
    }
    const inboxBrowser = platform && chosen.has('inbox-browser') ? await benchInboxBrowser(platform) : undefined;
    if (inboxBrowser) print(describeInboxBrowser(inboxBrowser));
    const chatRequests = platform && chosen.has('chat-requests') ? await benchChatRequests(platform) : undefined;
    if (chatRequests) {
      const { created, queue } = chatRequests;
      print(
        `chat requests: ${created.requests} accepted at ${created.acceptedPerSecond.toFixed(1)}/s (p50 ${created.accepted.p50Ms} ms, p99 ${created.accepted.p99Ms} ms, ` +
          `${created.concurrency} at a time), recorded in the queue by their workflows at ${created.recordedPerSecond.toFixed(1)}/s` +
          (bare ? ` (bare Temporal ${bare.perSecond.toFixed(1)} workflows/s in this run)` : ''),
      );
      print(
        `task queue, ${queue.tasks} open tasks across ${queue.careManagers} care managers (${queue.tasksPerCareManager} each, first page of ${queue.pageSize}; seeded in ${queue.seedSeconds.toFixed(1)} s): ` +
          `GET /v1/tasks?assignee=me&status=open p50 ${queue.p50Ms} ms, p99 ${queue.p99Ms} ms, max ${queue.maxMs} ms over ${queue.reads} reads ` +
          verdict(`p99 ≤ ${TARGETS.taskQueueP99Ms} ms`, queue.p99Ms <= TARGETS.taskQueueP99Ms),
      );
    }
    const campaign = platform && chosen.has('campaign') ? await benchCampaign(platform, sendgrid) : undefined;
    let campaignBaseline: CampaignBaselineResult | undefined;
    if (campaign) {
      print(
        `campaign, ${campaign.recipients} recipients × (message center + email): ${campaign.deliveries} deliveries, the last ${campaign.secondsToLastDelivery.toFixed(1)} s after deliverAt ` +
          `${verdict(`≤ ${TARGETS.campaignSeconds} s`, campaign.secondsToLastDelivery <= TARGETS.campaignSeconds)} ` +
          `(message center done at ${campaign.lastMessageCenterSeconds.toFixed(1)} s, email at ${campaign.lastEmailSeconds.toFixed(1)} s in ${campaign.sendgridRequests} SendGrid requests) = ` +
          `${campaign.deliveriesPerSecond.toFixed(0)} deliveries/s; worker peak RSS ${campaign.workerPeakRssMb ?? '?'} MB ` +
          verdict(`≤ ${TARGETS.campaignWorkerRssMb} MB`, campaign.workerPeakRssMb !== null && campaign.workerPeakRssMb <= TARGETS.campaignWorkerRssMb),
      );
      print(
        `single messages during the campaign: ${campaign.singles.messages} by email due ${campaign.singles.dueAfterDeliverAtMs / 1000} s after its deliverAt, ` +
          `lag at the SendGrid fake p50 ${Math.round(campaign.singles.p50Ms)} ms, p99 ${Math.round(campaign.singles.p99Ms)} ms, max ${Math.round(campaign.singles.maxMs)} ms`,
      );
      campaignBaseline = await benchCampaignBaseline(campaign.recipients, sendgrid, sendgrid.baseUrl);
      if (campaignBaseline.skipped !== undefined) print(`campaign baseline skipped: ${campaignBaseline.skipped}`);
      else {
        const ratio = campaign.deliveriesPerSecond / campaignBaseline.deliveriesPerSecond;
        print(
          `campaign baseline (BullMQ, one job per recipient and channel, one SendGrid request per email, concurrency ${campaignBaseline.workerConcurrency}): ` +
            `${campaignBaseline.deliveries} deliveries in ${campaignBaseline.seconds.toFixed(1)} s = ${campaignBaseline.deliveriesPerSecond.toFixed(0)}/s; ` +
            `Tidings ${ratio.toFixed(1)}× ${verdict(`≥ ${TARGETS.campaignBaselineRatio}×`, ratio >= TARGETS.campaignBaselineRatio)}`,
        );
      }
    }

    const result = {
      at: started.toISOString(),
      machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: os.loadavg() },
      cases: [...chosen],
      targets: { ...TARGETS, emailP99Ms: emailTargetMs },
      bareTemporal: bare,
      acceptance: {
        scheduledPerSecond: throughput?.acceptedPerSecond,
        scheduledMet: throughput && throughput.acceptedPerSecond >= TARGETS.scheduledAcceptedPerSecond,
        conversationMessagesPerSecond: conversations?.post.perSecond,
        conversationMessagesMet: conversations && conversations.post.perSecond >= TARGETS.conversationMessagesAcceptedPerSecond,
        taskQueueP99Ms: chatRequests?.queue.p99Ms,
        taskQueueMet: chatRequests && chatRequests.queue.p99Ms <= TARGETS.taskQueueP99Ms,
        sanitizeWorstApiMs: sanitize?.worst.api.maxMs,
        sanitizeMet: sanitize && sanitize.worst.api.maxMs <= TARGETS.sanitizeMs,
        portalInitialJsKb: portal?.initial.jsKb,
        portalInitialJsMet: portal?.met,
      },
      throughput: throughput && { ...throughput, ratioToBareTemporal: bare ? throughput.deliveredPerSecond / bare.perSecond : undefined },
      lag: {
        messageCenter: messageCenter && { ...messageCenter, met: messageCenter.p99Ms <= TARGETS.messageCenterP99Ms },
        email: emailLag && { ...emailLag, targetP99Ms: emailTargetMs, met: emailTargetMs !== undefined ? emailLag.p99Ms <= emailTargetMs : undefined },
        bullmqBaseline: baseline as BaselineResult | undefined,
      },
      conversations,
      inboxBrowser,
      chatRequests: chatRequests && { ...chatRequests, bareTemporalPerSecond: bare?.perSecond },
      campaign: campaign && { ...campaign, baseline: campaignBaseline },
      sanitize,
      portal,
    };
    const dir = path.join(REPO_ROOT, 'bench/results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `bench-${result.at.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2));
    print(`written ${path.relative(REPO_ROOT, file)}`);
  } finally {
    await platform?.stop();
    await sendgrid.stop();
  }
}

/**
 * BENCH_TEMPORAL_DB=file runs the bare case on a file-backed server with BENCH_SQLITE_PRAGMAS (comma-separated;
 * empty for none; unset for the dev server's own, DEV_SERVER_SQLITE_PRAGMAS); the platform's server is always in memory.
 */
function bareServer(): { server: TemporalDevServer; store: 'memory' | 'file'; sqlitePragmas?: string[] } {
  const store = process.env.BENCH_TEMPORAL_DB ?? 'memory';
  if (store === 'memory') return { server: new TemporalDevServer(), store };
  if (store !== 'file') throw new Error(`BENCH_TEMPORAL_DB is memory or file, not ${store}`);
  const given = process.env.BENCH_SQLITE_PRAGMAS;
  const sqlitePragmas =
    given === undefined
      ? DEV_SERVER_SQLITE_PRAGMAS
      : given
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
  return { server: new TemporalDevServer({ persistent: true, sqlitePragmas }), store, sqlitePragmas };
}

async function benchBareTemporal() {
  const { server, store, sqlitePragmas } = bareServer();
  await server.start();
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
      await inParallel(BARE_WORKFLOWS, CONCURRENCY, (i) => client.workflow.execute('oneNoopActivity', { taskQueue: 'bench-bare', workflowId: `bare-${i}` }));
      const seconds = (performance.now() - started) / 1000;
      return { store, sqlitePragmas, workflows: BARE_WORKFLOWS, seconds, perSecond: BARE_WORKFLOWS / seconds };
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
  // Warm the scheduling path (its first requests compile it), as the other cases warm theirs.
  const warmUpStarted = performance.now();
  await inParallel(WARM_UP_MESSAGES, CONCURRENCY, async (i) => schedule(org.admin, members[i % members.length].id, ['message_center']));
  const started = performance.now();
  await inParallel(THROUGHPUT_MESSAGES, CONCURRENCY, async (i) => schedule(org.admin, members[i % members.length].id, ['message_center']));
  const acceptedSeconds = (performance.now() - started) / 1000;
  await waitUntilDelivered(platform, org.id, WARM_UP_MESSAGES + THROUGHPUT_MESSAGES);
  // Deliveries count from the first warm-up message: those were delivered by the same workflows.
  const deliveredSeconds = (performance.now() - warmUpStarted) / 1000;
  return {
    messages: THROUGHPUT_MESSAGES,
    concurrency: CONCURRENCY,
    acceptedSeconds,
    acceptedPerSecond: THROUGHPUT_MESSAGES / acceptedSeconds,
    deliveredSeconds,
    deliveredPerSecond: (WARM_UP_MESSAGES + THROUGHPUT_MESSAGES) / deliveredSeconds,
  };
}

async function waitUntilDelivered(platform: Platform, organizationId: string, expected: number) {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    // Recorded as delivered by their workflows (the message center itself shows them from deliverAt on).
    const [{ n }] = await platform.query<{ n: number }>(`select count(*)::int as n from message where organization_id = $1 and status = 'delivered'`, [
      organizationId,
    ]);
    if (n >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${expected} messages were delivered`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function lagFigures(lags: Lags): string {
  return `p50 ${Math.round(lags.p50Ms)} ms, p99 ${Math.round(lags.p99Ms)} ms, max ${Math.round(lags.maxMs)} ms`;
}

function verdict(target: string, met: boolean): string {
  return `[target ${target}: ${met ? 'met' : 'MISSED'}]`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
