import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client as PgClient } from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { TidingsMetrics } from '../metrics/tidings-metrics.js';
import { TemporalUnavailableError, WorkflowGateway, type GatewayOutcome } from '../temporal/workflow-gateway.js';
import { OUTBOX_CHANNEL, WorkflowOutbox, type OutboxCommand } from './workflow-outbox.js';

interface ClaimedEntry {
  id: string;
  command: OutboxCommand;
  attempts: number;
}

/** How many entries one pass takes, and how many Temporal calls it has in flight at once. */
const BATCH_SIZE = 200;
const IN_FLIGHT = 32;
/** A relay that claimed an entry and died leaves it claimed this long; then another relay takes it. */
const LEASE_SECONDS = 60;
/** Without a notification (listener down, or nothing new), the outbox is still looked at this often. */
const POLL_INTERVAL_MS = 500;
/** While Temporal does not answer, the relay waits this long between tries. */
const UNAVAILABLE_PAUSE_MS = 1000;

/**
 * Sends the outbox's entries to Temporal after their transactions commit. Any number of workers run one:
 * `FOR UPDATE SKIP LOCKED` hands each entry to one of them, and only the oldest entry of each workflow is
 * handed out, so a workflow's start and signals arrive in the order they were committed. No database
 * connection is held while Temporal is called: an entry is claimed (leased) in one statement and deleted
 * in another.
 */
@Injectable()
export class OutboxRelay implements OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private listener?: PgClient;

  constructor(
    private readonly em: EntityManager,
    private readonly gateway: WorkflowGateway,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: TidingsMetrics,
  ) {
    metrics.setOutboxBacklogSource(async () => (await WorkflowOutbox.backlog(this.em.fork())).pending);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** One pass: claims up to a batch, sends it, settles it. */
  async relayOnce(): Promise<{ taken: number; temporalUnavailable: boolean }> {
    const entries = await this.claim();
    if (entries.length === 0) return { taken: 0, temporalUnavailable: false };
    const sent: string[] = [];
    const failed: Array<{ entry: ClaimedEntry; error: unknown }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(IN_FLIGHT, entries.length) }, async () => {
        while (next < entries.length) {
          const entry = entries[next++];
          try {
            await this.send(entry.command);
            sent.push(entry.id);
          } catch (error) {
            failed.push({ entry, error });
          }
        }
      }),
    );
    if (sent.length) await this.em.getConnection().execute(`delete from workflow_outbox where id in (${sent.map(() => '?').join(', ')})`, sent);
    for (const { entry, error } of failed) await this.release(entry, error);
    return { taken: entries.length, temporalUnavailable: failed.some(({ error }) => error instanceof TemporalUnavailableError) };
  }

  private async run(): Promise<void> {
    await this.listen();
    let unavailableSince: number | null = null;
    while (this.running) {
      try {
        const { taken, temporalUnavailable } = await this.relayOnce();
        if (temporalUnavailable) {
          if (unavailableSince === null) this.logger.warn('Temporal is unavailable; outbox entries wait until it is back');
          unavailableSince ??= Date.now();
          await this.idle(UNAVAILABLE_PAUSE_MS);
          continue;
        }
        if (unavailableSince !== null && taken > 0) {
          this.logger.log(`Temporal answers again after ${Math.round((Date.now() - unavailableSince) / 1000)} s; relaying the outbox`);
          unavailableSince = null;
        }
        if (taken < BATCH_SIZE) await this.idle(POLL_INTERVAL_MS);
      } catch (error) {
        // The database itself failed (restart, network): try again shortly.
        this.logger.error(`outbox relay pass failed: ${(error as Error).message}`);
        await this.idle(UNAVAILABLE_PAUSE_MS);
      }
    }
  }

  private send(command: OutboxCommand): Promise<GatewayOutcome> {
    switch (command.kind) {
      case 'start':
        return this.gateway.start(command);
      case 'signal':
        return this.gateway.signal(command);
      case 'signalWithStart':
        return this.gateway.signalWithStart(command, { signal: command.signal, args: command.signalArgs });
    }
  }

  private async claim(): Promise<ClaimedEntry[]> {
    const rows = await this.em.getConnection().execute<Array<{ id: string; command: OutboxCommand; attempts: number }>>(
      `with next as (
         select o.id from workflow_outbox o
          where o.available_at <= now()
            and not exists (select 1 from workflow_outbox earlier where earlier.workflow_id = o.workflow_id and earlier.id < o.id)
          order by o.id
          limit ?
          for update skip locked
       )
       update workflow_outbox o set available_at = now() + make_interval(secs => ?), attempts = o.attempts + 1
         from next where o.id = next.id
       returning o.id::text as id, o.command, o.attempts`,
      [BATCH_SIZE, LEASE_SECONDS],
    );
    return rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
  }

  /** Puts an entry back: soon if Temporal was only unavailable, with growing backoff if it refused. */
  private async release(entry: ClaimedEntry, error: unknown): Promise<void> {
    const unavailable = error instanceof TemporalUnavailableError;
    const delaySeconds = unavailable ? UNAVAILABLE_PAUSE_MS / 1000 : Math.min(300, 2 ** Math.min(entry.attempts, 9));
    if (!unavailable)
      this.logger.error(
        `outbox entry ${entry.id} (${entry.command.kind} ${entry.command.workflowId}) failed, attempt ${entry.attempts}: ${(error as Error).message}`,
      );
    await this.em
      .getConnection()
      .execute(`update workflow_outbox set available_at = now() + make_interval(secs => ?), last_error = ? where id = ?`, [
        delaySeconds,
        String((error as Error)?.message ?? error).slice(0, 500),
        entry.id,
      ]);
  }

  private async listen(): Promise<void> {
    try {
      const listener = new PgClient({ connectionString: this.config.databaseUrl });
      listener.on('notification', () => this.wake?.());
      // A lost listener only costs latency: the relay still polls.
      listener.on('error', (error) => this.logger.warn(`outbox listener lost: ${error.message}; polling every ${POLL_INTERVAL_MS} ms`));
      await listener.connect();
      await listener.query(`listen ${OUTBOX_CHANNEL}`);
      this.listener = listener;
    } catch (error) {
      this.logger.warn(`could not listen for outbox notifications: ${(error as Error).message}; polling every ${POLL_INTERVAL_MS} ms`);
    }
  }

  private idle(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
