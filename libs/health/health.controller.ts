import { EntityManager } from '@mikro-orm/postgresql';
import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth-user.js';
import { TemporalClient } from '../temporal/temporal.module.js';

const CHECK_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly em: EntityManager, private readonly temporal: TemporalClient) {}

  /** 200 when the database and Temporal both answer, 503 naming which does not. */
  @Public()
  @Get()
  async check(@Res() response: { status(code: number): { json(body: unknown): void } }) {
    const [database, temporal] = await Promise.all([
      answers(() => this.em.getConnection().execute('select 1')),
      answers(() => this.temporal.grpcConnection.healthService.check({})),
    ]);
    const healthy = database && temporal;
    response.status(healthy ? 200 : 503).json({
      status: healthy ? 'ok' : 'unavailable',
      database: database ? 'up' : 'down',
      temporal: temporal ? 'up' : 'down',
    });
  }
}

async function answers(probe: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([probe().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
