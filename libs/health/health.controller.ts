import { EntityManager } from '@mikro-orm/postgresql';
import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth-user.js';
import { TidingsMetrics } from '../metrics/tidings-metrics.js';
import { WorkflowOutbox } from '../outbox/workflow-outbox.js';
import { WorkflowGateway } from '../temporal/workflow-gateway.js';

const CHECK_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly em: EntityManager,
    private readonly gateway: WorkflowGateway,
    metrics: TidingsMetrics,
  ) {
    metrics.setOutboxBacklogSource(async () => (await WorkflowOutbox.backlog(this.em.fork())).pending);
  }

  /**
   * 200 while the API can take requests, which needs only PostgreSQL: with Temporal down, messages are still
   * accepted and wait in the outbox, so the body says `degraded`, names Temporal, and shows the backlog.
   * 503 when the database does not answer.
   */
  @Public()
  @Get()
  async check(@Res() response: { status(code: number): { json(body: unknown): void } }) {
    const [outbox, temporal] = await Promise.all([withTimeout(WorkflowOutbox.backlog(this.em.fork())), this.gateway.isHealthy(CHECK_TIMEOUT_MS)]);
    const database = outbox !== null;
    response.status(database ? 200 : 503).json({
      status: !database ? 'unavailable' : temporal ? 'ok' : 'degraded',
      database: database ? 'up' : 'down',
      temporal: temporal ? 'up' : 'down',
      outbox: outbox ?? undefined,
    });
  }
}

async function withTimeout<T>(probe: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([probe.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
