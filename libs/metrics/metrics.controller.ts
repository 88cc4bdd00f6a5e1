import { Controller, Get, Logger, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth-user.js';
import { TidingsMetrics } from './tidings-metrics.js';

interface PlainResponse {
  status(code: number): this;
  type(contentType: string): this;
  send(body: string): void;
}

/**
 * Prometheus scrapes this without a token, as it does /health; the labels carry route patterns,
 * channels and outcomes, never ids or content. Not part of the versioned API, so not in its documentation.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly logger = new Logger(MetricsController.name);

  constructor(private readonly metrics: TidingsMetrics) {}

  @Public()
  @Get()
  async scrape(@Res() response: PlainResponse): Promise<void> {
    let text: string;
    try {
      text = await this.metrics.exposition();
    } catch (error) {
      // A scraper reads the status, not a JSON error body.
      this.logger.error(`could not collect metrics: ${(error as Error).message}`);
      response.status(500).type('text/plain').send('metrics collection failed\n');
      return;
    }
    response.status(200).type(this.metrics.contentType).send(text);
  }
}
