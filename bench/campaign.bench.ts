import * as fs from 'node:fs';
import { Client as PgClient } from 'pg';
import type { SendgridFake } from '../test/fakes/sendgrid-fake.js';
import { createOrganization } from '../test/support/api.js';
import type { Platform } from '../test/support/platform.js';
import { percentiles, sleep } from './support.js';

/**
 * One campaign to RECIPIENTS members on the message center and email (through the SendGrid fake), on
 * the platform as users run it: the time from `deliverAt` to the last delivery, deliveries per second,
 * and the worker's peak memory; and, due in the middle of it, SINGLES single messages by email, whose
 * lag shows whether the campaign slows everyone else.
 */
const RECIPIENTS = Number(process.env.BENCH_CAMPAIGN_RECIPIENTS ?? 100_000);
const SINGLES = Number(process.env.BENCH_CAMPAIGN_SINGLES ?? 100);
/** Long enough to post 100,000 ids and have the workflow waiting before it is due. */
const LEAD_MS = 20_000;
/** The single messages fall due this long after the campaign's delivery time: while it runs. */
const SINGLES_AFTER_MS = Number(process.env.BENCH_CAMPAIGN_SINGLES_AFTER_MS ?? 10_000);
const GIVE_UP_AFTER_MS = 20 * 60_000;

export interface CampaignBenchResult {
  recipients: number;
  deliveries: number;
  secondsToLastDelivery: number;
  deliveriesPerSecond: number;
  lastEmailSeconds: number;
  lastMessageCenterSeconds: number;
  sendgridRequests: number;
  workerPeakRssMb: number | null;
  singles: { messages: number; dueAfterDeliverAtMs: number; p50Ms: number; p99Ms: number; maxMs: number };
}

export async function benchCampaign(platform: Platform, sendgrid: SendgridFake): Promise<CampaignBenchResult> {
  const org = await createOrganization(platform.baseUrl);
  const db = new PgClient({ connectionString: platform.databaseUrl });
  await db.connect();
  let recipientIds: string[];
  let singleIds: string[];
  try {
    const insert = (prefix: string, count: number) =>
      db.query<{ id: string }>(
        `insert into app_user (id, organization_id, email, name, role, created_at)
         select gen_random_uuid(), $1::uuid, $2::text || n || '@bench.test', 'Member ' || n, 'member', now() from generate_series(1, $3::int) n returning id`,
        [org.id, prefix, count],
      );
    recipientIds = (await insert('campaign-', RECIPIENTS)).rows.map((row) => row.id);
    singleIds = (await insert('single-', SINGLES)).rows.map((row) => row.id);
  } finally {
    await db.end();
  }
  sendgrid.reset();
  const deliverAt = new Date(Date.now() + LEAD_MS);
  const created = await org.admin.post('/v1/campaigns', {
    name: 'Bench campaign',
    title: 'Hello {{recipient.firstName}}',
    body: '{{organization.name}} has news for you, {{recipient.name}}.',
    channels: ['message_center', 'email'],
    deliverAt: deliverAt.toISOString(),
    audience: { userIds: recipientIds },
  });
  if (created.status !== 202) throw new Error(`the campaign was refused: ${created.status} ${JSON.stringify(created.body)}`);
  const campaignId = created.body.id as string;
  const singlesDueAt = new Date(deliverAt.getTime() + SINGLES_AFTER_MS);
  for (const recipientId of singleIds) {
    const scheduled = await org.admin.post('/v1/messages', {
      recipientId,
      title: 'A single message',
      body: 'Due while the campaign runs',
      channels: ['email'],
      deliverAt: singlesDueAt.toISOString(),
    });
    if (scheduled.status !== 202) throw new Error(`a single message was refused: ${scheduled.status}`);
  }
  if (Date.now() > deliverAt.getTime()) throw new Error('setting up took longer than the lead time');

  let peakRssKb: number | null = null;
  const sampler = setInterval(() => {
    const rss = workerRssKb(platform.worker.pid);
    if (rss !== null) peakRssKb = Math.max(peakRssKb ?? 0, rss);
  }, 250);
  try {
    const deadline = deliverAt.getTime() + GIVE_UP_AFTER_MS;
    for (;;) {
      const view = await org.admin.get(`/v1/campaigns/${campaignId}`);
      const singlesDone = sendgrid.deliveredEmails.filter((email) => email.to.startsWith('single-')).length >= SINGLES;
      if (view.body.status === 'completed' && singlesDone) break;
      if (Date.now() > deadline) throw new Error(`the campaign did not complete: ${JSON.stringify(view.body.channels)}`);
      await sleep(250);
    }
  } finally {
    clearInterval(sampler);
  }
  const emails = sendgrid.deliveredEmails;
  const campaignEmails = emails.filter((email) => email.to.startsWith('campaign-'));
  const singleEmails = emails.filter((email) => email.to.startsWith('single-'));
  const lastEmailAt = Math.max(...campaignEmails.map((email) => email.receivedAt.getTime()));
  const [{ last }] = await platform
    .query<{ last: Date }>(`select max(created_at) as last from message where campaign_id = $1`, [campaignId])
    .then((rows) => rows.map((row) => ({ last: new Date(row.last) })));
  const due = deliverAt.getTime();
  const lastDelivery = Math.max(lastEmailAt, last.getTime());
  const [{ n: messageCenter }] = await platform.query<{ n: number }>(`select count(*)::int as n from message where campaign_id = $1`, [campaignId]);
  const deliveries = campaignEmails.length + messageCenter;
  const singlesLag = percentiles(singleEmails.map((email) => email.receivedAt.getTime() - singlesDueAt.getTime()));
  return {
    recipients: RECIPIENTS,
    deliveries,
    secondsToLastDelivery: (lastDelivery - due) / 1000,
    deliveriesPerSecond: deliveries / ((lastDelivery - due) / 1000),
    lastEmailSeconds: (lastEmailAt - due) / 1000,
    lastMessageCenterSeconds: (last.getTime() - due) / 1000,
    sendgridRequests: sendgrid.delivered.filter((mail) => mail.personalizations.some((p) => p.to[0].email.startsWith('campaign-'))).length,
    workerPeakRssMb: peakRssKb === null ? null : Math.round(peakRssKb / 1024),
    singles: {
      messages: singleEmails.length,
      dueAfterDeliverAtMs: SINGLES_AFTER_MS,
      p50Ms: singlesLag.p50Ms,
      p99Ms: singlesLag.p99Ms,
      maxMs: singlesLag.maxMs,
    },
  };
}

/** The worker process's resident memory now, from /proc (Linux); null where it cannot be read. */
function workerRssKb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
