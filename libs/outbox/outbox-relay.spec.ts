import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { count } from '../../test/support/conversation-use-cases.js';
import { waitFor } from '../../test/support/processes.js';
import { TestDatabase } from '../../test/support/test-database.js';
import { loadConfig } from '../config/app-config.js';
import { ormConfig } from '../database/orm-config.js';
import { TidingsMetrics } from '../metrics/tidings-metrics.js';
import { TemporalUnavailableError, type GatewayOutcome, type WorkflowGateway } from '../temporal/workflow-gateway.js';
import { OutboxRelay } from './outbox-relay.js';
import { WorkflowOutbox, type OutboxCommand } from './workflow-outbox.js';

interface GatewayCall {
  /** Which relay made the call. */
  relay: string;
  kind: 'start' | 'signal' | 'signalWithStart';
  workflowId: string;
  /** Which outbox entry this is: every command in these specs carries a unique tag as its first argument. */
  tag: string;
  /** Order on one clock: when the call reached the gateway, and when it answered (if it did). */
  calledAt: number;
  answeredAt?: number;
}

/**
 * Stands in for WorkflowGateway, the relay's one boundary with Temporal, and records what reaches it. The
 * database is real; Temporal is not, deliberately: this spec is about the relay's claiming, ordering and
 * exactly-once bookkeeping in PostgreSQL, and the gateway interface is its whole contract with Temporal
 * (the real gateway against a real Temporal server is covered by the e2e suites). A start answers more
 * slowly than a signal, so a signal sent before its workflow's start was answered would overtake it here.
 */
class RecordingGateway {
  /** What reached "Temporal", from every relay given a view of this gateway (`forRelay`). */
  readonly calls: GatewayCall[] = [];
  /** While true, every call fails as the real gateway fails when Temporal does not answer. */
  unavailable = false;
  private clock = 0;

  get delivered(): GatewayCall[] {
    return this.calls.filter((call) => call.answeredAt !== undefined);
  }

  /** The gateway of one relay: the same Temporal (one record, one clock), its calls labelled `relay`. */
  forRelay(relay: string): Pick<WorkflowGateway, 'start' | 'signal' | 'signalWithStart'> {
    return {
      start: (start) => this.receive(relay, 'start', start.workflowId, start.args, 15),
      signal: (signal) => this.receive(relay, 'signal', signal.workflowId, signal.args, 1),
      signalWithStart: (start) => this.receive(relay, 'signalWithStart', start.workflowId, start.args, 15),
    };
  }

  private async receive(relay: string, kind: GatewayCall['kind'], workflowId: string, args: unknown[], latencyMs: number): Promise<GatewayOutcome> {
    const call: GatewayCall = { relay, kind, workflowId, tag: String(args[0]), calledAt: ++this.clock };
    this.calls.push(call);
    if (this.unavailable) throw new TemporalUnavailableError(new Error('14 UNAVAILABLE: No connection established'));
    await new Promise((resolve) => setTimeout(resolve, latencyMs * (0.5 + Math.random())));
    call.answeredAt = ++this.clock;
    return 'done';
  }
}

const start = (workflowId: string, tag: string): OutboxCommand => ({
  kind: 'start',
  workflowType: 'conversationMessageWorkflow',
  workflowId,
  args: [tag],
  searchAttributes: { TidingsOrganizationId: 'org-1' },
});
const signal = (workflowId: string, tag: string): OutboxCommand => ({ kind: 'signal', workflowId, signal: 'messageRead', args: [tag] });

/** `workflows` workflows of `perWorkflow` entries each (a start, then signals), committed one entry at a time, the workflows interleaved. */
async function enqueueInterleaved(em: EntityManager, prefix: string, workflows: number, perWorkflow: number): Promise<Map<string, string[]>> {
  const expected = new Map<string, string[]>();
  for (let step = 0; step < perWorkflow; step++) {
    for (let w = 0; w < workflows; w++) {
      const workflowId = `${prefix}-${w}`;
      const tag = `${workflowId}#${step}`;
      await WorkflowOutbox.enqueue(em.fork(), step === 0 ? start(workflowId, tag) : signal(workflowId, tag));
      expected.set(workflowId, [...(expected.get(workflowId) ?? []), tag]);
    }
  }
  return expected;
}

/** Each workflow's calls in the order Temporal answered them, and whether each was sent only after the one before it was answered. */
function perWorkflow(calls: GatewayCall[]): Map<string, { tags: string[]; sentAfterPreviousAnswered: boolean }> {
  const byWorkflow = new Map<string, GatewayCall[]>();
  for (const call of calls) byWorkflow.set(call.workflowId, [...(byWorkflow.get(call.workflowId) ?? []), call]);
  return new Map(
    [...byWorkflow].map(([workflowId, its]) => {
      const answered = its.filter((call) => call.answeredAt !== undefined).sort((a, b) => a.answeredAt! - b.answeredAt!);
      return [
        workflowId,
        {
          tags: answered.map((call) => call.tag),
          sentAfterPreviousAnswered: answered.every((call, i) => i === 0 || call.calledAt > answered[i - 1].answeredAt!),
        },
      ];
    }),
  );
}

describe('OutboxRelay', () => {
  let db: TestDatabase;
  const relays: OutboxRelay[] = [];
  const extraOrms: MikroORM[] = [];

  beforeAll(async () => {
    db = await TestDatabase.create();
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await Promise.all(extraOrms.splice(0).map((orm) => orm.close(true)));
    await db.query('delete from workflow_outbox');
  });

  afterAll(() => db?.drop());

  /** A relay as a worker runs one, on `em`'s database pool (by default the spec's own). */
  function relayTo(gateway: RecordingGateway, em: EntityManager = db.em, name = 'relay'): OutboxRelay {
    const relay = new OutboxRelay(em, gateway.forRelay(name) as WorkflowGateway, loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url }), new TidingsMetrics());
    relays.push(relay);
    return relay;
  }
  const outboxSize = () => count(db, 'workflow_outbox');

  it("hands each workflow's start and signals to Temporal in commit order, one at a time, with workflows interleaved", async () => {
    const expected = await enqueueInterleaved(db.em, 'ordered', 5, 3);
    // Two entries of one more workflow committed together, in one statement.
    await WorkflowOutbox.enqueue(db.em.fork(), start('together', 'together#0'), signal('together', 'together#1'));
    expected.set('together', ['together#0', 'together#1']);
    const gateway = new RecordingGateway();
    const relay = relayTo(gateway);

    relay.start();
    await waitFor('the outbox to drain', async () => (await outboxSize()) === 0, 15_000);
    await relay.stop();

    expect(gateway.calls).toHaveLength(17);
    const seen = perWorkflow(gateway.calls);
    expect(new Map([...seen].map(([workflowId, { tags }]) => [workflowId, tags]))).toEqual(expected);
    expect([...seen].filter(([, { sentAfterPreviousAnswered }]) => !sentAfterPreviousAnswered).map(([workflowId]) => workflowId)).toEqual([]);
    expect(gateway.calls.filter((call) => call.tag.endsWith('#0')).every((call) => call.kind === 'start')).toBe(true);
  });

  it('delivers every entry exactly once when two relays work the same outbox', async () => {
    const gateway = new RecordingGateway();
    // Two workers: each relay on a connection pool of its own, as two processes would be.
    const otherOrm = await MikroORM.init(ormConfig(db.url, { poolMax: 2 }));
    extraOrms.push(otherOrm);
    const pair = [relayTo(gateway, db.em, 'a'), relayTo(gateway, otherOrm.em, 'b')];
    for (const relay of pair) relay.start();
    await waitFor(
      'both relays to listen',
      async () => (await db.query(`select 1 from pg_stat_activity where datname = current_database() and query = 'listen workflow_outbox'`)).length === 2,
      10_000,
    );

    // Each commit wakes both relays at once, so they claim at the same moments, as busy workers do.
    const expected = await enqueueInterleaved(db.em, 'shared', 50, 4);
    await waitFor('the outbox to drain', async () => (await outboxSize()) === 0, 30_000);
    await Promise.all(pair.map((relay) => relay.stop()));

    const callsPerEntry = new Map<string, number>();
    for (const call of gateway.calls) callsPerEntry.set(call.tag, (callsPerEntry.get(call.tag) ?? 0) + 1);
    const allTags = [...expected.values()].flat();
    expect(allTags).toHaveLength(200);
    expect(allTags.filter((tag) => callsPerEntry.get(tag) !== 1)).toEqual([]);
    expect(gateway.calls).toHaveLength(200);
    const seen = perWorkflow(gateway.calls);
    expect(new Map([...seen].map(([workflowId, { tags }]) => [workflowId, tags]))).toEqual(expected);
    expect([...seen].filter(([, { sentAfterPreviousAnswered }]) => !sentAfterPreviousAnswered).map(([workflowId]) => workflowId)).toEqual([]);
    expect(await outboxSize()).toBe(0);
    // Both relays did part of the work: the outbox really was shared.
    expect(new Set(gateway.calls.map((call) => call.relay))).toEqual(new Set(['a', 'b']));
  });

  it('keeps every entry while Temporal is unavailable, tries no signal before its start, and delivers them all once it answers', async () => {
    const expected = await enqueueInterleaved(db.em, 'outage', 3, 2);
    const gateway = new RecordingGateway();
    gateway.unavailable = true;
    const relay = relayTo(gateway);

    relay.start();
    // Two rounds of refused starts: the relay came back after its pause and was refused again.
    await waitFor('the relay to be refused twice', async () => gateway.calls.length >= 6, 15_000);

    expect(gateway.delivered).toEqual([]);
    const waiting = await db.query<{ tag: string; attempts: number; last_error: string | null }>(
      `select command->'args'->>0 as tag, attempts, last_error from workflow_outbox order by id`,
    );
    expect(waiting.map((entry) => entry.tag).sort()).toEqual([...expected.values()].flat().sort());
    for (const entry of waiting.filter((e) => e.tag.endsWith('#0'))) {
      expect(entry.attempts).toBeGreaterThanOrEqual(1);
      expect(entry.last_error).toMatch(/^Temporal is unavailable/);
    }
    expect(waiting.filter((e) => e.tag.endsWith('#1')).map((e) => e.attempts)).toEqual([0, 0, 0]);
    expect(gateway.calls.every((call) => call.kind === 'start')).toBe(true);

    gateway.unavailable = false;
    await waitFor('the outbox to drain', async () => (await outboxSize()) === 0, 15_000);
    await relay.stop();

    const delivered = gateway.delivered;
    expect(delivered.map((call) => call.tag).sort()).toEqual([...expected.values()].flat().sort());
    expect(new Map([...perWorkflow(gateway.calls)].map(([workflowId, { tags }]) => [workflowId, tags]))).toEqual(expected);
  });
});
