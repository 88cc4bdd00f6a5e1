import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The route label of a request no route answered, so a scan of random URLs cannot mint label values. */
export const UNMATCHED_ROUTE = 'unmatched';

/** On time is tens of milliseconds after the due time; a provider outage retried with backoff takes minutes. */
const DELIVERY_LAG_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * The process's Prometheus metrics. Each instance owns its registry rather than prom-client's global one,
 * so two applications in one process (tests, the benchmark) keep separate counts.
 */
@Injectable()
export class TidingsMetrics {
  private readonly logger = new Logger(TidingsMetrics.name);
  readonly registry = new Registry();
  private readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly deliveries: Counter<'channel' | 'outcome'>;
  private readonly deliveryLag: Histogram<'channel'>;
  private outboxBacklogSource?: () => Promise<number>;

  constructor() {
    // Unprefixed (process_*, nodejs_*), as the usual Node.js dashboards expect; Prometheus's job label tells API from worker.
    collectDefaultMetrics({ register: this.registry });
    this.httpRequestDuration = new Histogram({
      name: 'tidings_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.deliveries = new Counter({
      name: 'tidings_deliveries_total',
      help: 'Delivery attempts written down, by channel and outcome (sent, skipped, failed: refused for good, retryable_failure).',
      labelNames: ['channel', 'outcome'],
      registers: [this.registry],
    });
    this.deliveryLag = new Histogram({
      name: 'tidings_delivery_lag_seconds',
      help: 'Time from when a message was due to when a channel delivered it.',
      labelNames: ['channel'],
      buckets: DELIVERY_LAG_BUCKETS_SECONDS,
      registers: [this.registry],
    });
    const metrics = this;
    new Gauge({
      name: 'tidings_outbox_backlog',
      help: 'Workflow outbox entries not yet handed to Temporal, read when scraped; NaN when the count failed.',
      registers: [this.registry],
      async collect() {
        if (!metrics.outboxBacklogSource) return;
        try {
          this.set(await metrics.outboxBacklogSource());
        } catch (error) {
          // A failed count must neither fail the whole scrape nor leave a stale number that looks healthy.
          metrics.logger.warn(`could not count the outbox backlog: ${(error as Error).message}`);
          this.set(Number.NaN);
        }
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, in the format `contentType` names. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  /** `route` is the pattern a request matched (`/v1/messages/:id`), never its URL: ids must not become label values. */
  startHttpRequest(): (labels: { method: string; route: string; status: number }) => void {
    const end = this.httpRequestDuration.startTimer();
    return ({ method, route, status }) => end({ method, route, status: String(status) });
  }

  deliveryRecorded(channel: string, outcome: string): void {
    this.deliveries.inc({ channel, outcome });
  }

  observeDeliveryLag(channel: string, seconds: number): void {
    // Clocks of the API, worker and database hosts may disagree by a little; a delivery is never early.
    this.deliveryLag.observe({ channel }, Math.max(0, seconds));
  }

  /** What the backlog gauge reports at each scrape; until a source is set it stays 0. */
  setOutboxBacklogSource(source: () => Promise<number>): void {
    this.outboxBacklogSource = source;
  }
}
