import { createOrganization, eventually, sleep, TestOrganization } from '../support/api.js';
import { Platform } from '../support/platform.js';
import { ProviderFakes } from '../support/provider-fakes.js';

/**
 * Campaigns when things go wrong, each a real run: the API and worker as processes on PostgreSQL and a
 * (file-backed, so restartable) Temporal dev server, SendGrid as a loopback fake. What must hold whatever
 * happens: the campaign completes, every recipient has one message-center entry, and an email goes out
 * twice only when a worker died during the request and its outcome was unknown (marked as a resend).
 *
 * The fake accepts a request when it arrives (a delayed reply only delays the answer), as SendGrid would:
 * a worker killed while waiting for the answer leaves those emails sent, and their outcome unknown to us.
 */
describe('campaign faults (end to end)', () => {
  const fakes = new ProviderFakes();
  const { sendgrid } = fakes;
  let platform: Platform;
  let org: TestOrganization;

  beforeAll(async () => {
    platform = await new Platform({ env: await fakes.start(), persistentTemporal: true }).start();
    org = await createOrganization(platform.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await fakes.stop();
  });

  beforeEach(() => fakes.reset());

  /** `count` members inserted directly (they need no password); their addresses in order. */
  const crowd = async (count: number, tag: string): Promise<Array<{ id: string; email: string }>> =>
    platform.query<{ id: string; email: string }>(
      `insert into app_user (id, organization_id, email, name, role, created_at)
       select gen_random_uuid(), $1::uuid, $2::text || '-' || n || '@crowd.test', 'Crowd Member ' || n, 'member', now() from generate_series(1, $3::int) n
       returning id, email`,
      [org.id, tag, count],
    );
  const schedule = async (people: Array<{ id: string }>, channels: string[]): Promise<string> => {
    const response = await org.admin.post('/v1/campaigns', {
      name: 'Open enrolment',
      title: 'Hello {{recipient.firstName}}',
      body: 'Dear {{recipient.name}}, enrolment is open.',
      channels,
      audience: { userIds: people.map((person) => person.id) },
    });
    expect(response).toMatchObject({ status: 202, body: { status: 'scheduled' } });
    return response.body.id as string;
  };
  const campaign = async (id: string) => (await org.admin.get(`/v1/campaigns/${id}`)).body;
  const completed = (id: string, timeoutMs: number) =>
    eventually(async () => {
      const view = await campaign(id);
      expect(view.status).toBe('completed');
      return view;
    }, timeoutMs);
  /** How many accepted emails each address got. */
  const emailsByAddress = () => {
    const counts = new Map<string, number>();
    for (const email of sendgrid.deliveredEmails) counts.set(email.to, (counts.get(email.to) ?? 0) + 1);
    return counts;
  };
  /** Each email delivery of the campaign: its recipient's address, status and the outcomes of its attempts in order. */
  const emailTimelines = (campaignId: string) =>
    platform.query<{ delivery_id: string; email: string; status: string; attempts: number; outcomes: Array<string | null> }>(
      `select d.id as delivery_id, u.email, d.status, d.attempts,
              coalesce(array_agg(a.outcome order by a.number) filter (where a.number is not null), '{}') as outcomes
         from delivery d join app_user u on u.id = d.recipient_id left join delivery_attempt a on a.delivery_id = d.id
        where d.subject_type = 'campaign' and d.subject_id = $1 and d.channel = 'email'
        group by d.id, u.email, d.status, d.attempts`,
      [campaignId],
    );
  const messageRowsPerRecipient = (campaignId: string) =>
    platform.query<{ recipient_id: string; n: number }>(`select recipient_id, count(*)::int as n from message where campaign_id = $1 group by recipient_id`, [
      campaignId,
    ]);
  const sentEmailRows = async (campaignId: string) =>
    (
      await platform.query<{ n: number }>(
        `select count(*)::int as n from delivery where subject_type = 'campaign' and subject_id = $1 and channel = 'email' and status = 'sent'`,
        [campaignId],
      )
    )[0].n;

  test("SendGrid's 429 with Retry-After, then two 503s: the batches wait and retry, and every recipient gets exactly one email", async () => {
    const people = await crowd(3_000, 'throttled');
    // Well beyond the retry policy's first backoff (2 s, and a retried batch takes a second or two to
    // plan and claim again), so the wait is visibly the provider's.
    const retryAfterSeconds = 15;
    sendgrid.respondWith(429, undefined, { 'Retry-After': String(retryAfterSeconds) }).failNext(2, 503);
    const id = await schedule(people, ['email']);

    expect(await completed(id, 120_000)).toMatchObject({ recipients: 3_000, channels: { email: { sent: 3_000, pending: 0, failed: 0 } } });

    // Three refused requests, then one accepted request per batch.
    const refused = sendgrid.received.filter((request) => request.status !== 202);
    expect(refused.map((request) => request.status)).toEqual([429, 503, 503]);
    expect(sendgrid.delivered).toHaveLength(3);
    const counts = emailsByAddress();
    expect(counts.size).toBe(3_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(people.map((person) => person.email)));

    // The throttled batch came back no sooner than SendGrid asked.
    const deliveryIdsOf = (request: (typeof sendgrid.received)[number]) =>
      new Set(request.personalizations.map((p) => (p.custom_args as Record<string, string> | undefined)?.delivery_id));
    const throttled = refused[0]!;
    const throttledIds = deliveryIdsOf(throttled);
    const retried = sendgrid.received.find(
      (request) => request !== throttled && [...deliveryIdsOf(request)].some((deliveryId) => throttledIds.has(deliveryId)),
    )!;
    expect(retried.receivedAt.getTime() - throttled.receivedAt.getTime()).toBeGreaterThanOrEqual(retryAfterSeconds * 1000 - 500);

    // The ledger shows each refusal as a retrying attempt before the one that sent.
    const timelines = await emailTimelines(id);
    expect(timelines).toHaveLength(3_000);
    expect(timelines.every((t) => t.status === 'sent' && t.outcomes.at(-1) === 'sent' && t.outcomes.slice(0, -1).every((o) => o === 'retrying'))).toBe(true);
    const retrying = timelines.flatMap((t) => t.outcomes).filter((o) => o === 'retrying');
    expect(retrying).toHaveLength(refused.reduce((n, request) => n + request.personalizations.length, 0));
    expect(retrying).toHaveLength(3_000);
  }, 180_000);

  test('a worker killed with SIGKILL during a batch request, then restarted: the campaign completes, one message each, and only the unknown batch is sent twice, marked as a resend', async () => {
    const people = await crowd(3_000, 'killed');
    // The first batch request is accepted at once but answered only after a minute: the worker dies waiting.
    sendgrid.delayNext(60_000);
    const id = await schedule(people, ['message_center', 'email']);

    // All three batches are in flight at once (four lanes): the other two are answered and recorded.
    await sendgrid.whenReceived(3);
    await eventually(async () => expect(await sentEmailRows(id)).toBe(2_000), 30_000);
    const [slow] = sendgrid.received;
    const unknown = new Set(slow!.to);
    expect(unknown.size).toBe(1_000);

    await platform.worker.stop('SIGKILL');
    await platform.startWorker();
    // A new attempt of the batch comes once the heartbeat is missed, but must not resend while the dead
    // attempt's lease (PROVIDER_ACTIVITY_OPTIONS.startToCloseTimeout, 2 minutes) lasts; then it resends once.
    await sleep(35_000);
    expect(sendgrid.received).toHaveLength(3);
    const view = await completed(id, 300_000);
    // The resent batch is reported: an admin sees how many may have the email twice.
    expect(view).toMatchObject({
      recipients: 3_000,
      channels: { message_center: { sent: 3_000, resent: 0 }, email: { sent: 3_000, pending: 0, failed: 0, resent: 1_000 } },
    });

    const messages = await messageRowsPerRecipient(id);
    expect(messages).toHaveLength(3_000);
    expect(messages.every((row) => row.n === 1)).toBe(true);

    const counts = emailsByAddress();
    expect(new Set(counts.keys())).toEqual(new Set(people.map((person) => person.email)));
    const twice = [...counts].filter(([, n]) => n > 1).map(([address]) => address);
    expect([...counts.values()].every((n) => n <= 2)).toBe(true);
    // Exactly the batch whose answer the dead worker never saw went out twice.
    expect(new Set(twice)).toEqual(unknown);
    const timelines = new Map((await emailTimelines(id)).map((t) => [t.email, t]));
    for (const address of twice) {
      expect(timelines.get(address)!.outcomes.some((o) => o === 'resent_after_crash' || o === 'unknown')).toBe(true);
    }
    expect(new Set([...timelines.values()].filter((t) => unknown.has(t.email)).map((t) => t.outcomes.join(',')))).toEqual(
      new Set(['unknown,resent_after_crash']),
    );
    expect(new Set([...timelines.values()].filter((t) => !unknown.has(t.email)).map((t) => t.outcomes.join(',')))).toEqual(new Set(['sent']));
  }, 420_000);

  test('Temporal stopped while batches are in flight, then started again: the campaign completes, each recipient once', async () => {
    const people = await crowd(6_000, 'outage');
    // The first four batches' requests take a while, so Temporal goes down while they are in flight.
    sendgrid.delayNext(8_000, 4);
    const id = await schedule(people, ['message_center', 'email']);
    await sendgrid.whenReceived(4);

    await platform.temporal.stop();
    // The requests are answered and recorded meanwhile; the worker cannot tell Temporal, and waits for it.
    await sleep(12_000);
    expect(await sentEmailRows(id)).toBe(4_000);
    expect(platform.worker.running).toBe(true);
    await platform.temporal.start();

    const view = await completed(id, 240_000);
    expect(view).toMatchObject({ recipients: 6_000, channels: { message_center: { sent: 6_000 }, email: { sent: 6_000, pending: 0, failed: 0 } } });
    const messages = await messageRowsPerRecipient(id);
    expect(messages).toHaveLength(6_000);
    expect(messages.every((row) => row.n === 1)).toBe(true);
    const counts = emailsByAddress();
    expect(new Set(counts.keys())).toEqual(new Set(people.map((person) => person.email)));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const timelines = await emailTimelines(id);
    expect(new Set(timelines.map((t) => t.outcomes.join(',')))).toEqual(new Set(['sent']));
  }, 360_000);
});
