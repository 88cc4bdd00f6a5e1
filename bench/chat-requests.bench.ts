import { Client as PgClient } from 'pg';
import { Api, createOrganization } from '../test/support/api.js';
import type { Platform } from '../test/support/platform.js';
import { inParallel, summarize, type Timings } from './support.js';

/**
 * Chat requests at size:
 *  - created: members asking for chats over HTTP (POST /v1/me/chat-requests answered 201) per second, and
 *    per second until every request's workflow has recorded its task (the queue row's first mirror write);
 *  - queue: GET /v1/tasks?assignee=me&status=open for care managers among QUEUE_CARE_MANAGERS sharing
 *    QUEUE_TASKS open tasks, seeded straight into PostgreSQL as the service would have written them.
 */
const REQUESTS = Number(process.env.BENCH_CHAT_REQUESTS ?? 500);
const REQUEST_CONCURRENCY = Number(process.env.BENCH_CHAT_REQUEST_CONCURRENCY ?? 16);
const MEMBERS = 25; // logged in through the API; each enrolled in enough programs for its share of the requests
const WARM_UP = 25;
const QUEUE_TASKS = Number(process.env.BENCH_QUEUE_TASKS ?? 10_000);
const QUEUE_CARE_MANAGERS = 50;
const QUEUE_READS = Number(process.env.BENCH_QUEUE_READS ?? 300);
const LOGGED_IN_CARE_MANAGERS = 5;

export interface ChatRequestsResult {
  created: { requests: number; concurrency: number; acceptedPerSecond: number; accepted: Timings; recordedPerSecond: number };
  queue: Timings & { tasks: number; careManagers: number; tasksPerCareManager: number; pageSize: number; reads: number; seedSeconds: number };
}

export async function benchChatRequests(platform: Platform): Promise<ChatRequestsResult> {
  return { created: await benchCreation(platform), queue: await benchQueue(platform) };
}

async function benchCreation(platform: Platform): Promise<ChatRequestsResult['created']> {
  const org = await createOrganization(platform.baseUrl);
  const careManager = await org.addUser('staff', { name: 'Casey Care' });
  const members = await Promise.all(Array.from({ length: MEMBERS }, (_, i) => org.addUser('member', { name: `Member ${i}` })));
  const reason = (await ok(org.admin.post('/v1/chat-request-reasons', { label: 'A question' }), 201)).body.id as string;
  // One open request per member and program: enough programs for every request of the run.
  const programsPerMember = Math.ceil((REQUESTS + WARM_UP) / MEMBERS);
  const db = new PgClient({ connectionString: platform.databaseUrl });
  await db.connect();
  const programs: string[] = [];
  try {
    const rows = await db.query<{ id: string }>(
      `insert into program (id, organization_id, name, created_at) select gen_random_uuid(), $1, 'Program ' || n, now() from generate_series(1, $2) n returning id`,
      [org.id, programsPerMember],
    );
    programs.push(...rows.rows.map((row) => row.id));
    await db.query(
      `insert into enrollment (id, organization_id, program_id, member_id, care_manager_id, created_at)
       select gen_random_uuid(), $1, p, m, $2, now() from unnest($3::uuid[]) p, unnest($4::uuid[]) m`,
      [org.id, careManager.id, programs, members.map((member) => member.id)],
    );
  } finally {
    await db.end();
  }
  const ask = (i: number) =>
    ok(
      members[i % MEMBERS].api.post('/v1/me/chat-requests', { programId: programs[Math.floor(i / MEMBERS)], reasonId: reason, comment: `Question ${i}` }),
      201,
    );
  await inParallel(WARM_UP, REQUEST_CONCURRENCY, ask);
  const latencies: number[] = [];
  const started = performance.now();
  await inParallel(REQUESTS, REQUEST_CONCURRENCY, async (i) => {
    const t = performance.now();
    await ask(WARM_UP + i);
    latencies.push(performance.now() - t);
  });
  const acceptedSeconds = (performance.now() - started) / 1000;
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const [{ n }] = await platform.query<{ n: number }>(`select count(*)::int as n from chat_request where organization_id = $1 and mirror_version > 0`, [
      org.id,
    ]);
    if (n >= REQUESTS + WARM_UP) break;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${REQUESTS + WARM_UP} chat requests were recorded by their workflows`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const recordedSeconds = (performance.now() - started) / 1000;
  return {
    requests: REQUESTS,
    concurrency: REQUEST_CONCURRENCY,
    acceptedPerSecond: REQUESTS / acceptedSeconds,
    accepted: summarize(latencies),
    // The warm-up's workflows may still be running when timing starts: they count against the run, not for it.
    recordedPerSecond: REQUESTS / recordedSeconds,
  };
}

async function benchQueue(platform: Platform): Promise<ChatRequestsResult['queue']> {
  const org = await createOrganization(platform.baseUrl);
  const loggedIn = await Promise.all(Array.from({ length: LOGGED_IN_CARE_MANAGERS }, (_, i) => org.addUser('staff', { name: `Care Manager ${i}` })));
  const db = new PgClient({ connectionString: platform.databaseUrl });
  await db.connect();
  const started = performance.now();
  try {
    await db.query('begin');
    const others = await db.query<{ id: string }>(
      `insert into app_user (id, organization_id, email, name, role, created_at)
       select gen_random_uuid(), $1::uuid, 'cm-' || n || '-' || $1::text || '@bench.test', 'Care Manager ' || n, 'staff', now()
         from generate_series(${LOGGED_IN_CARE_MANAGERS}, ${QUEUE_CARE_MANAGERS - 1}) n returning id`,
      [org.id],
    );
    const careManagers = [...loggedIn.map((user) => user.id), ...others.rows.map((row) => row.id)];
    const membersCount = Math.ceil(QUEUE_TASKS / 5);
    const members = await db.query<{ id: string }>(
      `insert into app_user (id, organization_id, email, name, role, created_at)
       select gen_random_uuid(), $1::uuid, 'member-' || n || '-' || $1::text || '@bench.test', 'Member ' || n, 'member', now() from generate_series(1, $2) n returning id`,
      [org.id, membersCount],
    );
    const programs = await db.query<{ id: string }>(
      `insert into program (id, organization_id, name, created_at) select gen_random_uuid(), $1, 'Program ' || n, now() from generate_series(1, 5) n returning id`,
      [org.id],
    );
    // One chat per care manager stands in for each task's chat: the queue never reads the chat itself.
    const chats = await db.query<{ id: string }>(
      `insert into conversation (id, organization_id, subject, status, kind, created_by_id, created_at)
       select gen_random_uuid(), $1, 'Chat', 'open', 'chat', cm, now() from unnest($2::uuid[]) cm returning id`,
      [org.id, careManagers],
    );
    // Task i: member i / 5 in program i % 5, with care manager i % 50; due times spread over two days; a tenth breached.
    await db.query(
      `insert into chat_request (id, organization_id, program_id, member_id, reason_label, comment, status, owner_id, assignee_id, chat_id,
                                 due_at, escalate_at, breached_at, mirror_version, created_at)
       select gen_random_uuid(), $1, ($2::uuid[])[1 + i % 5], ($3::uuid[])[1 + i / 5], 'A question', 'Benchmark comment ' || i, 'open',
              ($4::uuid[])[1 + i % ${QUEUE_CARE_MANAGERS}], ($4::uuid[])[1 + i % ${QUEUE_CARE_MANAGERS}], ($5::uuid[])[1 + i % ${QUEUE_CARE_MANAGERS}],
              now() + (i % 2880) * interval '1 minute', now() + interval '3 days', case when i % 10 = 0 then now() end, 1, now() - interval '1 hour'
         from generate_series(0, $6 - 1) i`,
      [org.id, programs.rows.map((row) => row.id), members.rows.map((row) => row.id), careManagers, chats.rows.map((row) => row.id), QUEUE_TASKS],
    );
    await db.query('commit');
    await db.query('analyze chat_request');
  } finally {
    await db.end();
  }
  const seedSeconds = (performance.now() - started) / 1000;
  const read = (api: Api) => ok(api.get('/v1/tasks?assignee=me&status=open'), 200);
  for (const user of loggedIn) for (let i = 0; i < 5; i++) await read(user.api);
  const latencies: number[] = [];
  let pageSize = 0;
  for (let i = 0; i < QUEUE_READS; i++) {
    const t = performance.now();
    const response = await read(loggedIn[i % LOGGED_IN_CARE_MANAGERS].api);
    latencies.push(performance.now() - t);
    pageSize = response.body.items.length;
  }
  return {
    ...summarize(latencies),
    tasks: QUEUE_TASKS,
    careManagers: QUEUE_CARE_MANAGERS,
    tasksPerCareManager: QUEUE_TASKS / QUEUE_CARE_MANAGERS,
    pageSize,
    reads: QUEUE_READS,
    seedSeconds,
  };
}

async function ok(request: Promise<{ status: number; body: any }>, status: number) {
  const response = await request;
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  return response;
}
