import { Client as PgClient } from 'pg';
import { Api, createOrganization } from '../test/support/api.js';
import type { Platform } from '../test/support/platform.js';
import { inParallel, summarize, type Timings } from './support.js';

/**
 * Conversations at size: an organisation with CONVERSATIONS conversations and MESSAGES messages, seeded
 * straight into PostgreSQL as the service would have written them; then, over HTTP, the time to list a
 * user's inbox and to open a conversation (p50, p99, max), and replies accepted (POST answered 201) per second.
 */
const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 10_000);
const MESSAGES = Number(process.env.BENCH_CONVERSATION_MESSAGES ?? 200_000);
const MEMBERS = Number(process.env.BENCH_CONVERSATION_MEMBERS ?? 500);
const STAFF = 6; // the busy one first
const REQUESTS = Number(process.env.BENCH_CONVERSATION_REQUESTS ?? 200);
const POSTS = Number(process.env.BENCH_CONVERSATION_POSTS ?? 1000);
const WARM_UP_POSTS = 100;
const POST_CONCURRENCY = Number(process.env.BENCH_CONVERSATION_POST_CONCURRENCY ?? 16);
const PAGE = 25;

export interface ConversationsResult {
  conversations: number;
  messages: number;
  members: number;
  staff: number;
  seedSeconds: number;
  busyStaff: { conversations: number; activeConversations: number };
  member: { conversations: number; activeConversations: number };
  inbox: {
    staffFirstPage: Timings;
    staffDeeperPages: (Timings & { pages: number[] }) | null;
    memberFirstPage: Timings;
    memberDeeperPages: (Timings & { pages: number[] }) | null;
  };
  open: { staff: Timings & { meanMessagesShown: number }; member: Timings & { meanMessagesShown: number } };
  post: Timings & { posted: number; concurrency: number; seconds: number; perSecond: number };
}

export async function benchConversations(platform: Platform): Promise<ConversationsResult> {
  const org = await createOrganization(platform.baseUrl);
  // The users we log in as come through the API (they need a password); the crowd of members is inserted.
  const staff = [];
  for (let i = 0; i < STAFF; i++) staff.push(await org.addUser('staff', { name: `Staff ${i}` }));
  const member = await org.addUser('member', { name: 'Member Zero' });

  const db = new PgClient({ connectionString: platform.databaseUrl });
  await db.connect();
  let seedSeconds: number;
  try {
    const started = performance.now();
    await seed(
      db,
      org.id,
      staff.map((s) => s.id),
      member.id,
    );
    seedSeconds = (performance.now() - started) / 1000;
  } finally {
    await db.end();
  }
  const [counts] = await platform.query<{ conversations: number; messages: number }>(
    `select (select count(*)::int from conversation where organization_id = $1) as conversations,
            (select count(*)::int from conversation_message m join conversation c on c.id = m.conversation_id where c.organization_id = $1) as messages`,
    [org.id],
  );
  const inboxOf = async (userId: string) => {
    const rows = await platform.query<{ id: string; status: string }>(
      `select c.id, c.status from conversation_participant p join conversation c on c.id = p.conversation_id where p.user_id = $1 and p.left_at is null`,
      [userId],
    );
    return { all: rows.map((r) => r.id), open: rows.filter((r) => r.status === 'open').map((r) => r.id) };
  };
  const busy = staff[0];
  const busyInbox = await inboxOf(busy.id);
  const memberInbox = await inboxOf(member.id);

  // Warm the API's pools and caches before timing.
  for (let i = 0; i < 10; i++) {
    await ok(busy.api.get(`/v1/conversations?limit=${PAGE}`), 200);
    await ok(busy.api.get(`/v1/conversations/${busyInbox.all[i % busyInbox.all.length]}`), 200);
  }

  const inbox = {
    staffFirstPage: await timeSequential(REQUESTS, () => ok(busy.api.get(`/v1/conversations?limit=${PAGE}`), 200)),
    staffDeeperPages: await timeDeeperPages(busy.api, [2, 3, 5, 10, 40]),
    memberFirstPage: await timeSequential(REQUESTS, () => ok(member.api.get(`/v1/conversations?limit=${PAGE}`), 200)),
    memberDeeperPages: await timeDeeperPages(member.api, [2]),
  };
  const open = {
    staff: await timeOpening(busy.api, busyInbox.all),
    member: await timeOpening(member.api, memberInbox.all),
  };

  // Replies from the busy staff user into many of their open conversations; each starts its workflow.
  const targets = shuffled(busyInbox.open);
  // Warm the reply path (its first requests compile it) the way the reads were warmed above.
  await inParallel(WARM_UP_POSTS, POST_CONCURRENCY, (i) =>
    ok(busy.api.post(`/v1/conversations/${targets[(targets.length - 1 - i) % targets.length]}/messages`, { body: `<p>Warm-up reply ${i}</p>` }), 201),
  );
  const latencies: number[] = [];
  const started = performance.now();
  await inParallel(POSTS, POST_CONCURRENCY, async (i) => {
    const t = performance.now();
    await ok(busy.api.post(`/v1/conversations/${targets[i % targets.length]}/messages`, { body: `<p>Benchmark reply ${i}: ${LOREM.slice(0, 200)}</p>` }), 201);
    latencies.push(performance.now() - t);
  });
  const seconds = (performance.now() - started) / 1000;

  return {
    conversations: counts.conversations,
    messages: counts.messages,
    members: MEMBERS + 1,
    staff: STAFF,
    seedSeconds,
    busyStaff: { conversations: busyInbox.all.length, activeConversations: busyInbox.open.length },
    member: { conversations: memberInbox.all.length, activeConversations: memberInbox.open.length },
    inbox,
    open,
    post: { ...summarize(latencies), posted: POSTS, concurrency: POST_CONCURRENCY, seconds, perSecond: POSTS / seconds },
  };
}

/** The line for run.ts, in the style of the others. */
export function describeConversations(r: ConversationsResult): string {
  const t = (x: Timings) => `p50 ${x.p50Ms} ms p99 ${x.p99Ms} ms`;
  return (
    `conversations (${r.conversations} conversations, ${r.messages} messages; seeded in ${r.seedSeconds.toFixed(1)} s): ` +
    `inbox ${t(r.inbox.staffFirstPage)} (staff in ${r.busyStaff.conversations}; deeper pages ${r.inbox.staffDeeperPages ? t(r.inbox.staffDeeperPages) : 'none'}; member in ${r.member.conversations}: ${t(r.inbox.memberFirstPage)}); ` +
    `open ${t(r.open.staff)} (member ${t(r.open.member)}); ` +
    `replies accepted at ${r.post.perSecond.toFixed(1)}/s (p50 ${r.post.p50Ms} ms, p99 ${r.post.p99Ms} ms)`
  );
}

/**
 * Set-based, in one transaction, as the service would have written it: the busy staff user runs a quarter
 * of the conversations, the others share the rest; each has one or two member recipients (some in CC);
 * a fifth were started by the member. Each participant's inbox row points at the newest message they may
 * see (the BCC rule of conversation-visibility.ts), and most have read some of it.
 */
async function seed(db: PgClient, organizationId: string, staffIds: string[], memberZeroId: string): Promise<void> {
  await db.query('begin');
  await db.query(
    `insert into app_user (id, organization_id, email, name, role, created_at)
     select gen_random_uuid(), $1::uuid, 'bench-member-' || g || '-' || $3::text || '@example.org', 'Member ' || g, 'member', now() - interval '200 days' + g * interval '1 second'
       from generate_series(1, $2::int) g`,
    [organizationId, MEMBERS, organizationId],
  );
  await db.query(
    `create temp table bench_member on commit drop as
     select 0 as n, $1::uuid as id
     union all
     select row_number() over (order by created_at, id), id from app_user where organization_id = $2 and email like 'bench-member-%'`,
    [memberZeroId, organizationId],
  );
  await db.query('create unique index on bench_member (n)');
  // One row per conversation with its people and its shape. Member zero is in ~45 of them.
  await db.query(
    `create temp table bench_conversation on commit drop as
     with c as (
       select g, gen_random_uuid() as id,
              ($5::uuid[])[case when g % 4 = 0 then 1 else 2 + g % ($2::int - 1) end] as staff_id,
              case when g % 500 = 251 then 0 else (g * 7919) % ($3::int + 1) end as a_n,
              g % 3 = 0 as has_b,
              case when g % 6 = 0 then 'cc' else 'to' end as b_kind,
              g % 5 = 0 as member_started,
              g % 10 = 0 as closed,
              -- 20 messages on average, 5 to 35, exactly the total asked for.
              -- (The first half of the conversations are above it and the second below, so every g % k class averages 20.)
              ($4::int / $1::int) + case when g <= $1::int / 2 then (g * 37) % 16
                                         when g <= $1::int / 2 * 2 then -(((g - $1::int / 2) * 37) % 16) else 0 end as messages,
              now() - interval '120 days' + g * (interval '60 days' / $1::int) as created_at
         from generate_series(1, $1::int) g
     )
     select c.*, (select id from bench_member where n = c.a_n) as a_id,
            case when c.has_b then (select id from bench_member where n = (c.a_n + 1 + (c.g * 31) % $3::int) % ($3::int + 1)) end as b_id
       from c`,
    [CONVERSATIONS, STAFF, MEMBERS, MESSAGES, staffIds],
  );
  await db.query(
    `insert into conversation (id, organization_id, subject, status, created_by_id, created_at, closed_at, closed_by_id)
     select id, $1, 'Benchmark conversation ' || g || ' about ' || substr(md5(g::text), 1, 12),
            case when closed then 'closed' else 'open' end,
            case when member_started then a_id else staff_id end, created_at,
            case when closed then created_at + messages * interval '2 hours' + interval '1 hour' end,
            case when closed then staff_id end
       from bench_conversation`,
    [organizationId],
  );
  // Message k of a conversation: the starter first, then staff, member A and member B (or staff) in turn.
  await db.query(
    `insert into conversation_message (id, conversation_id, author_id, author_kind, body_html, body_text, read_receipt, source, created_at)
     select gen_random_uuid(), c.id, a.author_id, a.author_kind, '<p>' || t.text || '</p>', t.text, k % 7 = 0, case when k % 9 = 0 then 'email' else 'app' end,
            c.created_at + (k - 1) * interval '2 hours' + ((c.g * 131 + k * 71) % 3600) * interval '1 second'
       from bench_conversation c
      cross join lateral generate_series(1, c.messages) k
      cross join lateral (
        select case when k = 1 then case when c.member_started then 'm_a' else 'staff' end
                    when k % 3 = 1 then 'm_a'
                    when k % 3 = 2 and c.has_b then 'm_b'
                    else 'staff' end as who
      ) w
      cross join lateral (
        select case w.who when 'staff' then c.staff_id when 'm_a' then c.a_id else c.b_id end as author_id,
               case w.who when 'staff' then 'staff' when 'm_a' then 'to' else c.b_kind end as author_kind
      ) a
      cross join lateral (
        select 'Message ' || k || ' in conversation ' || c.g || ': ' || substr($1, 1 + (c.g + k) % 97, 180 + (c.g * k) % 200) as text
      ) t`,
    [LOREM],
  );
  // Participants, each pointing at the newest message they may see; 1 in 40 members in CC has left.
  await db.query(
    `create temp table bench_participant on commit drop as
     select c.id as conversation_id, c.g, c.staff_id as user_id, 'to' as kind, case when c.member_started then c.a_id else c.staff_id end as added_by_id, c.created_at as added_at, null::timestamptz as left_at
       from bench_conversation c
     union all
     select c.id, c.g, c.a_id, 'to', case when c.member_started then c.a_id else c.staff_id end, c.created_at, null
       from bench_conversation c
     union all
     select c.id, c.g, c.b_id, c.b_kind, case when c.member_started then c.a_id else c.staff_id end, c.created_at,
            case when c.g % 40 = 0 and c.b_kind = 'cc' then c.created_at + interval '3 hours' end
       from bench_conversation c where c.has_b`,
  );
  await db.query(
    `insert into conversation_participant (conversation_id, user_id, kind, added_by_id, added_at, left_at, last_read_at, last_activity_at, last_message_id)
     select p.conversation_id, p.user_id, p.kind, p.added_by_id, p.added_at, p.left_at,
            -- A quarter never read, a quarter read everything, the rest are a few messages behind.
            case (p.g + abs(hashtext(p.user_id::text) % 4)) % 4
              when 0 then null
              when 1 then latest.created_at
              else latest.created_at - (1 + abs(hashtext(p.user_id::text) % 4)) * interval '2 hours' end,
            coalesce(latest.created_at, p.added_at), latest.id
       from bench_participant p
       join app_user u on u.id = p.user_id
       left join lateral (
         select m.id, m.created_at from conversation_message m
          where m.conversation_id = p.conversation_id
            and (u.role <> 'member' or m.author_kind = 'staff' or m.author_id = p.user_id or (m.author_kind = 'to' and p.kind = 'to'))
          order by m.created_at desc, m.id desc limit 1
       ) latest on true`,
  );
  await db.query('commit');
  // Settled as a long-running database would be: statistics current, visibility map set, no autovacuum
  // of the fresh rows running into the timings.
  await db.query('vacuum (analyze) app_user, conversation, conversation_message, conversation_participant');
}

async function timeDeeperPages(api: Api, pages: number[]): Promise<(Timings & { pages: number[] }) | null> {
  // Walk the inbox once for the cursors of the pages wanted, then time fetching them in turn.
  const cursors: Array<{ page: number; cursor: string }> = [];
  let cursor: string | null = null;
  for (let page = 1; page < Math.max(...pages); page++) {
    const response: { body: { nextCursor: string | null } } = await ok(api.get(`/v1/conversations?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`), 200);
    cursor = response.body.nextCursor;
    if (!cursor) break;
    if (pages.includes(page + 1)) cursors.push({ page: page + 1, cursor });
  }
  if (cursors.length === 0) return null;
  const timings = await timeSequential(REQUESTS, (i) => ok(api.get(`/v1/conversations?limit=${PAGE}&cursor=${cursors[i % cursors.length].cursor}`), 200));
  return { ...timings, pages: cursors.map((c) => c.page) };
}

async function timeOpening(api: Api, conversationIds: string[]): Promise<Timings & { meanMessagesShown: number }> {
  let shown = 0;
  const timings = await timeSequential(REQUESTS, async () => {
    const response = await ok(api.get(`/v1/conversations/${conversationIds[Math.floor(Math.random() * conversationIds.length)]}`), 200);
    shown += response.body.messages.length;
  });
  return { ...timings, meanMessagesShown: Math.round((shown / REQUESTS) * 10) / 10 };
}

async function timeSequential(count: number, task: (i: number) => Promise<unknown>): Promise<Timings> {
  const durations: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await task(i);
    durations.push(performance.now() - started);
  }
  return summarize(durations);
}

async function ok<T extends { status: number; body: any }>(request: Promise<T>, status: number): Promise<T> {
  const response = await request;
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  return response;
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

const LOREM =
  'Thanks for getting back to me so quickly. I have looked at the statement you sent and the figures for the second quarter ' +
  'match what we agreed, but the invoice for March still shows the old rate. Could you check with accounts and let me know ' +
  'whether a corrected copy will be issued before the end of the month? I will be away next week, so please copy my colleague ' +
  'on anything urgent. Kind regards, and thank you again for your help with all of this.';
