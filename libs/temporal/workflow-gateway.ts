import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  Client,
  Connection,
  isGrpcServiceError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { defineSearchAttributeKey, SearchAttributeType, WorkflowIdReusePolicy, type SearchAttributePair } from '@temporalio/common';
import { temporalConnectionOptions } from './temporal-connection.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** A workflow to start: its type by name, its deterministic id, its arguments and Keyword search attributes. */
export interface WorkflowStart {
  workflowType: string;
  workflowId: string;
  args: unknown[];
  searchAttributes: Record<string, string>;
  /** Campaigns run on a task queue of their own; everything else on the default one. */
  queue?: 'default' | 'campaigns';
}

export interface WorkflowSignal {
  workflowId: string;
  signal: string;
  args: unknown[];
}

/**
 * - `done`: Temporal has it: started, signalled, or already started earlier (ids are deterministic, so a
 *   second start is the same workflow).
 * - `gone`: nobody to tell: the workflow has finished (or never existed), which for a signal is fine.
 */
export type GatewayOutcome = 'done' | 'gone';

/**
 * What an update came to:
 * - `done`: the workflow accepted it and its handler returned `result`;
 * - `refused`: its validator (or handler) said no, with the failure's type and details;
 * - `gone`: no such running workflow (finished, or not started yet).
 */
export type UpdateOutcome<Ret> =
  { outcome: 'done'; result: Ret } | { outcome: 'refused'; type: string | undefined; message: string; details: unknown[] } | { outcome: 'gone' };

/** How long the API waits for a workflow to take an update before answering that Temporal is unavailable. */
const UPDATE_DEADLINE_MS = 15_000;

/** The outbox relay starts a new workflow within moments; an update that comes sooner waits this long for it. */
const WAIT_FOR_START_MS = 5_000;
const START_POLL_MS = 200;

/** Temporal did not answer (down, restarting, unreachable): try again later, nothing was decided. */
export class TemporalUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Temporal is unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'TemporalUnavailableError';
  }
}

/** gRPC status codes that mean "not now" rather than "no": CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE. */
const UNAVAILABLE_CODES = new Set<number>([1, 4, 8, 10, 14]);

/**
 * The one place Tidings starts and signals workflows (the outbox relay and the reconciler call it), with
 * the "already started", "not found" and "unavailable" answers decided once. A closed workflow is never
 * started again under the same id: a message's workflow runs once.
 */
@Injectable()
export class WorkflowGateway implements OnApplicationShutdown {
  readonly client: Client;
  private readonly connection: Connection;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // Reconnect within seconds after a Temporal restart instead of gRPC's default backoff of up to two minutes.
    this.connection = Connection.lazy({ ...temporalConnectionOptions(config), channelArgs: { 'grpc.max_reconnect_backoff_ms': 3000 } });
    this.client = new Client({ connection: this.connection, namespace: config.temporal.namespace });
  }

  async start(start: WorkflowStart): Promise<GatewayOutcome> {
    return this.call(async () => {
      try {
        await this.client.workflow.start(start.workflowType, this.startOptions(start));
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return 'done';
        throw error;
      }
      return 'done';
    });
  }

  async signal(signal: WorkflowSignal): Promise<GatewayOutcome> {
    return this.call(async () => {
      try {
        await this.client.workflow.getHandle(signal.workflowId).signal(signal.signal, ...signal.args);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'gone';
        throw error;
      }
      return 'done';
    });
  }

  /** Signals a running workflow, or starts a missing one with the signal: what the reconciler uses to repair. */
  async signalWithStart(start: WorkflowStart, signal: Omit<WorkflowSignal, 'workflowId'>): Promise<GatewayOutcome> {
    return this.call(async () => {
      try {
        await this.client.workflow.signalWithStart(start.workflowType, { ...this.startOptions(start), signal: signal.signal, signalArgs: signal.args });
      } catch (error) {
        // It ran and finished: a closed workflow is not started twice, so there is nothing to repair.
        if (error instanceof WorkflowExecutionAlreadyStartedError) return 'gone';
        throw error;
      }
      return 'done';
    });
  }

  /**
   * Sends an update and waits for its result, within UPDATE_DEADLINE_MS (a workflow whose worker is down
   * would otherwise keep the caller waiting until one comes back).
   */
  async update<Ret, Arg>(workflowId: string, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<UpdateOutcome<Ret>> {
    try {
      const result = await this.connection.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
        this.client.workflow.getHandle(workflowId).executeUpdate(update, { args: [arg] }),
      );
      return { outcome: 'done', result };
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause;
        if (cause instanceof ApplicationFailure)
          return { outcome: 'refused', type: cause.type ?? undefined, message: cause.message, details: [...(cause.details ?? [])] };
        return { outcome: 'refused', type: undefined, message: cause?.message ?? error.message, details: [] };
      }
      if (error instanceof WorkflowNotFoundError) return { outcome: 'gone' };
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isUnavailable(error)) throw new TemporalUnavailableError(error);
      throw error;
    }
  }

  /**
   * An update of a workflow the outbox relay may not have started yet (its subject was committed moments
   * ago): while the workflow is not found and `stillToRun()` says its subject is still open, tries again for
   * up to WAIT_FOR_START_MS. `gone`: it has run its course; `not_started`: it was still not there.
   */
  async updateOnceStarted<Ret, Arg>(
    workflowId: string,
    update: UpdateDefinition<Ret, [Arg]>,
    arg: Arg,
    stillToRun: () => Promise<boolean>,
  ): Promise<UpdateOutcome<Ret> | { outcome: 'not_started' }> {
    const giveUpAt = Date.now() + WAIT_FOR_START_MS;
    for (;;) {
      const outcome = await this.update(workflowId, update, arg);
      if (outcome.outcome !== 'gone') return outcome;
      if (!(await stillToRun())) return outcome;
      if (Date.now() >= giveUpAt) return { outcome: 'not_started' };
      await new Promise((resolve) => setTimeout(resolve, START_POLL_MS));
    }
  }

  /** Whether the Temporal frontend answers its health check within `timeoutMs`. */
  async isHealthy(timeoutMs: number): Promise<boolean> {
    const deadline = new Date(Date.now() + timeoutMs);
    return this.connection
      .withDeadline(deadline, () => this.connection.healthService.check({}))
      .then(
        () => true,
        () => false,
      );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }

  private startOptions(start: WorkflowStart) {
    return {
      taskQueue: start.queue === 'campaigns' ? this.config.temporal.campaignTaskQueue : this.config.temporal.taskQueue,
      workflowId: start.workflowId,
      args: start.args,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: Object.entries(start.searchAttributes).map(([name, value]): SearchAttributePair => ({
        key: defineSearchAttributeKey(name, SearchAttributeType.KEYWORD),
        value,
      })),
    };
  }

  private async call(operation: () => Promise<GatewayOutcome>): Promise<GatewayOutcome> {
    try {
      return await operation();
    } catch (error) {
      if (isUnavailable(error)) throw new TemporalUnavailableError(error);
      throw error;
    }
  }
}

function isUnavailable(error: unknown): boolean {
  const grpcError = error instanceof ServiceError ? error.cause : error;
  return isGrpcServiceError(grpcError) && UNAVAILABLE_CODES.has(grpcError.code);
}
