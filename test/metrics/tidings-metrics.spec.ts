import { Controller, Get, MiddlewareConsumer, Module, NestModule, NotFoundException, Param, RequestMethod, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { httpMetricsMiddleware } from '../../libs/metrics/http-metrics.middleware.js';
import { TidingsMetrics } from '../../libs/metrics/tidings-metrics.js';
import { samplesOf, valueOf } from './exposition.js';

describe('TidingsMetrics', () => {
  test('counts deliveries by channel and outcome, each instance on its own', async () => {
    const metrics = new TidingsMetrics();
    metrics.deliveryRecorded('email', 'sent');
    metrics.deliveryRecorded('email', 'sent');
    metrics.deliveryRecorded('sms', 'failed');
    const text = await metrics.exposition();
    expect(text).toContain('# TYPE tidings_deliveries_total counter');
    expect(valueOf(text, 'tidings_deliveries_total', { channel: 'email', outcome: 'sent' })).toBe(2);
    expect(valueOf(text, 'tidings_deliveries_total', { channel: 'sms', outcome: 'failed' })).toBe(1);
    expect(valueOf(text, 'tidings_deliveries_total', { channel: 'push', outcome: 'sent' })).toBeUndefined();

    const another = await new TidingsMetrics().exposition();
    expect(samplesOf(another, 'tidings_deliveries_total')).toEqual([]);
  });

  test('puts delivery lag in second buckets from 10 ms to 10 min, never below zero', async () => {
    const metrics = new TidingsMetrics();
    metrics.observeDeliveryLag('email', 0.3);
    metrics.observeDeliveryLag('email', 420);
    metrics.observeDeliveryLag('push', -0.2);
    const text = await metrics.exposition();
    const buckets = samplesOf(text, 'tidings_delivery_lag_seconds_bucket', { channel: 'email' }).map((sample) => sample.labels.le);
    expect(buckets[0]).toBe('0.01');
    expect(buckets.at(-2)).toBe('600');
    expect(valueOf(text, 'tidings_delivery_lag_seconds_bucket', { channel: 'email', le: '0.25' })).toBe(0);
    expect(valueOf(text, 'tidings_delivery_lag_seconds_bucket', { channel: 'email', le: '0.5' })).toBe(1);
    expect(valueOf(text, 'tidings_delivery_lag_seconds_bucket', { channel: 'email', le: '300' })).toBe(1);
    expect(valueOf(text, 'tidings_delivery_lag_seconds_bucket', { channel: 'email', le: '600' })).toBe(2);
    expect(valueOf(text, 'tidings_delivery_lag_seconds_count', { channel: 'email' })).toBe(2);
    expect(valueOf(text, 'tidings_delivery_lag_seconds_sum', { channel: 'push' })).toBe(0);
  });

  test('reads the outbox backlog at each scrape; a failed count shows as NaN, not as a stale or healthy number', async () => {
    const metrics = new TidingsMetrics();
    expect(valueOf(await metrics.exposition(), 'tidings_outbox_backlog')).toBe(0);

    let backlog = 7;
    metrics.setOutboxBacklogSource(async () => backlog);
    expect(valueOf(await metrics.exposition(), 'tidings_outbox_backlog')).toBe(7);
    backlog = 3;
    expect(valueOf(await metrics.exposition(), 'tidings_outbox_backlog')).toBe(3);

    metrics.setOutboxBacklogSource(async () => {
      throw new Error('relation "workflow_outbox" does not exist');
    });
    const text = await metrics.exposition();
    expect(valueOf(text, 'tidings_outbox_backlog')).toBeNaN();
    expect(valueOf(text, 'tidings_deliveries_total')).toBeUndefined();
  });

  test('includes the process metrics', async () => {
    const text = await new TidingsMetrics().exposition();
    expect(samplesOf(text, 'process_cpu_seconds_total')).toHaveLength(1);
    expect(samplesOf(text, 'nodejs_heap_size_used_bytes')).toHaveLength(1);
  });
});

@Controller('v1/things')
class ThingsController {
  @Get(':id')
  find(@Param('id') id: string) {
    if (id === 'missing-0001') throw new NotFoundException('no such thing');
    return { id };
  }
}

/** Like MikroORM's request context: a middleware on every path, which leaves a wildcard route behind. */
@Module({ controllers: [ThingsController] })
class ThingsModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply((_request: unknown, _response: unknown, next: () => void) => next()).forRoutes({ path: '{*all}', method: RequestMethod.ALL });
  }
}

describe('HTTP request metrics', () => {
  const metrics = new TidingsMetrics();
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create(ThingsModule, { logger: false });
    app.use(httpMetricsMiddleware(metrics));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  test('are labelled with the route pattern, never the id in the URL', async () => {
    expect((await fetch(`${baseUrl}/v1/things/thing-4711`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/v1/things/thing-4712`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/v1/things/missing-0001`)).status).toBe(404);
    const text = await metrics.exposition();
    expect(valueOf(text, 'tidings_http_request_duration_seconds_count', { method: 'GET', route: '/v1/things/:id', status: '200' })).toBe(2);
    expect(valueOf(text, 'tidings_http_request_duration_seconds_count', { method: 'GET', route: '/v1/things/:id', status: '404' })).toBe(1);
    expect(text).not.toContain('thing-47');
    expect(text).not.toContain('missing-0001');
  });

  test('put every request no route answered under one fixed label', async () => {
    expect((await fetch(`${baseUrl}/no/such/route/abc-123`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/v1/things/thing-1/more`, { method: 'DELETE' })).status).toBe(404);
    const text = await metrics.exposition();
    expect(valueOf(text, 'tidings_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(valueOf(text, 'tidings_http_request_duration_seconds_count', { method: 'DELETE', route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('abc-123');
    expect(text).not.toContain('*all');
  });
});
