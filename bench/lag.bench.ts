import { Api, createOrganization } from '../test/support/api.js';
import type { SendgridFake } from '../test/fakes/sendgrid-fake.js';
import type { Platform } from '../test/support/platform.js';
import { dueSecondAfter, inParallel, type Lags, sleep, summarize, summarizeLags, type Timings } from './support.js';

/**
 * The delivery lag for a burst of messages all due in the same second, as the people at the receiving end
 * notice it: in the message center, by polling GET /v1/me/messages as a client would; by email, when the
 * SendGrid fake receives the mail. Both read only what leaves the platform, so they hold however the
 * platform decides that a message is in the message center.
 */
const MEMBERS = 10;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
/** 0 polls each inbox again as soon as the last answer is in; one request per inbox is in flight at a time. */
const POLL_INTERVAL_MS = Number(process.env.BENCH_POLL_INTERVAL_MS ?? 0);
/** Polling starts this long before the due second, so a message shown early would be noticed. */
const POLL_LEAD_MS = 1000;
const PAGE = 100;
const GIVE_UP_AFTER_MS = 15 * 60_000;

interface Burst {
  deliverAt: string;
  /** How far ahead of the due second the burst was scheduled. */
  scheduledAheadMs: number;
  members: number;
}

export interface MessageCenterLag extends Lags, Burst {
  /** Messages some inbox showed before their deliverAt (they count with a negative lag). */
  seenEarly: number;
  /** How long each look at an inbox took: the resolution of the lags above. */
  polls: Timings & { intervalMs: number; failed: number; firstFailure?: string };
  /**
   * The same lags from when the poll that first showed each message was sent rather than answered: the
   * message was visible by the time that poll's query ran, somewhere between the two.
   */
  askedFor: Lags;
}

export interface EmailLag extends Lags, Burst {
  /** Requests the fake answered with an error (none expected; the platform retries them). */
  refused: number;
}

export async function benchMessageCenterLag(platform: Platform, count: number): Promise<MessageCenterLag> {
  const { members, deliverAt, ids, leadMs } = await scheduleBurst(platform, count, ['message_center']);
  const due = deliverAt.getTime();
  const expected = members.map((_, m) => new Set(ids.filter((__, i) => i % MEMBERS === m)));
  const seenAt = new Map<string, number>();
  const askedAt = new Map<string, number>();
  const pollDurations: number[] = [];
  const pollErrors: string[] = [];

  await sleep(due - POLL_LEAD_MS - Date.now());
  const deadline = due + GIVE_UP_AFTER_MS;
  await Promise.all(
    members.map(async (member, m) => {
      const waiting = expected[m];
      while (waiting.size > 0) {
        if (Date.now() > deadline) throw new Error(`${member.email}'s inbox still lacks ${waiting.size} messages`);
        const started = Date.now();
        const shown = await inboxIds(member.api).catch(async (error: Error) => {
          // A client would look again in a moment; the count says whether the figures stand on a struggling API.
          pollErrors.push(error.message);
          await sleep(100);
          return [];
        });
        // A client sees the message when the answer arrives.
        const seen = Date.now();
        pollDurations.push(seen - started);
        for (const id of shown) {
          if (waiting.delete(id)) {
            seenAt.set(id, seen);
            askedAt.set(id, started);
          }
        }
        if (POLL_INTERVAL_MS > 0) await sleep(POLL_INTERVAL_MS);
      }
    }),
  );

  const lags = ids.map((id) => seenAt.get(id)! - due);
  return {
    ...summarizeLags(lags),
    deliverAt: deliverAt.toISOString(),
    scheduledAheadMs: leadMs,
    members: MEMBERS,
    seenEarly: lags.filter((lag) => lag < 0).length,
    polls: { ...summarize(pollDurations), intervalMs: POLL_INTERVAL_MS, failed: pollErrors.length, firstFailure: pollErrors[0] },
    askedFor: summarizeLags(ids.map((id) => askedAt.get(id)! - due)),
  };
}

export async function benchEmailLag(platform: Platform, sendgrid: SendgridFake, count: number): Promise<EmailLag> {
  sendgrid.reset();
  const { members, deliverAt, ids, leadMs } = await scheduleBurst(platform, count, ['message_center', 'email']);
  const due = deliverAt.getTime();
  const addresses = new Set(members.map((member) => member.email));
  const wanted = new Set(ids);
  const receivedAt = new Map<string, number>();
  let refused = 0;
  let read = 0;

  const deadline = Math.max(Date.now(), due) + GIVE_UP_AFTER_MS;
  while (receivedAt.size < wanted.size) {
    if (Date.now() > deadline) throw new Error(`only ${receivedAt.size} of ${wanted.size} emails reached the SendGrid fake`);
    // The fake runs in this process and stamps each request as it arrives; reading its log is not on the clock.
    const received = sendgrid.received;
    for (; read < received.length; read++) {
      const mail = received[read];
      if (!mail.to.some((address) => addresses.has(address))) continue;
      if (mail.status !== 202) {
        refused++;
        continue;
      }
      const id = messageIdIn(mail.text ?? mail.html ?? '');
      if (id && wanted.has(id) && !receivedAt.has(id)) receivedAt.set(id, mail.receivedAt.getTime());
    }
    await sleep(50);
  }

  return {
    ...summarizeLags([...receivedAt.values()].map((at) => at - due)),
    deliverAt: deliverAt.toISOString(),
    scheduledAheadMs: leadMs,
    members: MEMBERS,
    refused,
  };
}

/**
 * `count` messages from the admin to MEMBERS members in turn, all due at the start of one second far
 * enough ahead that every one is accepted and its workflow started and asleep before it comes: the
 * outbox relay starts workflows after the API has answered, at the Temporal server's pace.
 */
async function scheduleBurst(platform: Platform, count: number, channels: string[]) {
  const org = await createOrganization(platform.baseUrl);
  const members = await Promise.all(Array.from({ length: MEMBERS }, () => org.addUser('member')));
  const leadMs = process.env.BENCH_LAG_LEAD_MS
    ? Number(process.env.BENCH_LAG_LEAD_MS)
    : 15_000 + 1.5 * (await timeToSchedule(platform, org.admin, members, channels, count));
  const deliverAt = dueSecondAfter(leadMs);
  const ids = new Array<string>(count);
  await inParallel(count, CONCURRENCY, async (i) => {
    ids[i] = await schedule(org.admin, members[i % MEMBERS].id, channels, deliverAt.toISOString());
  });
  await outboxDrained(platform);
  if (Date.now() > deliverAt.getTime() - POLL_LEAD_MS) {
    throw new Error(`scheduling ${count} messages and starting their workflows took longer than the ${leadMs} ms lead time; raise BENCH_LAG_LEAD_MS`);
  }
  return { members, deliverAt, ids, leadMs: Math.round(leadMs) };
}

/**
 * About how long scheduling `count` messages will take, from timing a few (cancelled at once): the API's
 * pace varies several-fold with the load on a shared machine, and a lead time fixed for the fast case
 * either fails on a slow day or makes every run wait minutes.
 */
async function timeToSchedule(platform: Platform, admin: Api, members: Array<{ id: string }>, channels: string[], count: number): Promise<number> {
  const probes = Math.min(count, 3 * CONCURRENCY);
  const farAhead = new Date(Date.now() + 3_600_000).toISOString();
  const ids: string[] = [];
  const started = performance.now();
  await inParallel(probes, CONCURRENCY, async (i) => ids.push(await schedule(admin, members[i % MEMBERS].id, channels, farAhead)));
  await outboxDrained(platform);
  const perMessageMs = (performance.now() - started) / probes;
  await inParallel(ids.length, CONCURRENCY, async (i) => {
    const response = await admin.post(`/v1/messages/${ids[i]}/cancel`);
    if (response.status !== 200) throw new Error(`cancelling a probe message answered ${response.status}: ${JSON.stringify(response.body)}`);
  });
  await outboxDrained(platform);
  return perMessageMs * count;
}

/** Until the relay has handed every outbox entry to Temporal (every workflow started, every signal sent). */
async function outboxDrained(platform: Platform): Promise<void> {
  for (;;) {
    const [{ pending }] = await platform.query<{ pending: number }>('select count(*)::int as pending from workflow_outbox');
    if (pending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function schedule(admin: Api, recipientId: string, channels: string[], deliverAt?: string): Promise<string> {
  const response = await admin.post('/v1/messages', {
    recipientId,
    title: 'Benchmark',
    body: 'Benchmark message',
    channels,
    ...(deliverAt ? { deliverAt } : {}),
  });
  if (response.status !== 202) throw new Error(`POST /v1/messages answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/** Every message the inbox shows now, following the pages to the end. */
async function inboxIds(api: Api): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const response: { status: number; body: { items: Array<{ id: string }>; nextCursor: string | null } } = await api.get(
      `/v1/me/messages?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (response.status !== 200) throw new Error(`GET /v1/me/messages answered ${response.status}: ${JSON.stringify(response.body)}`);
    for (const item of response.body.items) ids.push(item.id);
    cursor = response.body.nextCursor;
  } while (cursor);
  return ids;
}

/** The notification links to the message (in both notification modes): the one thing every mail for it carries. */
function messageIdIn(text: string): string | undefined {
  return /\/messages\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(text)?.[1];
}
