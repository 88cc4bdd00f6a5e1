import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from '../../libs/config/app-config.js';
import { TidingsMetrics } from '../../libs/metrics/tidings-metrics.js';
import { serveWorkerMetrics, type WorkerMetricsServer } from '../../libs/metrics/worker-metrics-server.js';
import { samplesOf, valueOf } from './exposition.js';

/** What the Temporal SDK's own exporter answers, as its Prometheus encoder writes it. */
const SDK_EXPOSITION = [
  '# HELP temporal_request_total Count of client request successes by rpc name',
  '# TYPE temporal_request_total counter',
  'temporal_request_total{namespace="default",operation="RespondWorkflowTaskCompleted",service_name="temporal-core-sdk"} 3',
  '',
].join('\n');

describe('the worker metrics endpoint', () => {
  const metrics = new TidingsMetrics();
  let sdkExporter: http.Server;
  let sdkUrl: string;
  let server: WorkerMetricsServer;
  let url: string;

  beforeAll(async () => {
    sdkExporter = http.createServer((request, response) => {
      if (request.url === '/metrics') response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(SDK_EXPOSITION);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => sdkExporter.listen(0, '127.0.0.1', resolve));
    sdkUrl = `http://127.0.0.1:${(sdkExporter.address() as AddressInfo).port}/metrics`;
    server = await serveWorkerMetrics(0, metrics, sdkUrl);
    url = `http://127.0.0.1:${server.port}/metrics`;
  });

  afterAll(async () => {
    await server?.close();
    if (sdkExporter.listening) await new Promise((resolve) => sdkExporter.close(resolve));
  });

  test("answers our metrics followed by the Temporal SDK's, in the Prometheus text format", async () => {
    metrics.deliveryRecorded('email', 'sent');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(valueOf(text, 'tidings_deliveries_total', { channel: 'email', outcome: 'sent' })).toBe(1);
    expect(valueOf(text, 'temporal_request_total', { operation: 'RespondWorkflowTaskCompleted' })).toBe(3);
    expect(samplesOf(text, 'process_cpu_seconds_total')).toHaveLength(1);
    const families = text
      .split('\n')
      .filter((line) => line.startsWith('# TYPE '))
      .map((line) => line.split(' ')[2]);
    expect(new Set(families).size).toBe(families.length);
  });

  test('answers only GET and HEAD on /metrics', async () => {
    expect((await fetch(url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(`${url}/more`)).status).toBe(404);
    const post = await fetch(url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  test('still answers with our metrics when the SDK exporter does not', async () => {
    await new Promise((resolve) => sdkExporter.close(resolve));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(valueOf(text, 'tidings_deliveries_total', { channel: 'email', outcome: 'sent' })).toBe(1);
    expect(samplesOf(text, 'temporal_request_total')).toEqual([]);
  });

  test('refuses to start on a port that is taken', async () => {
    await expect(serveWorkerMetrics(server.port, metrics)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('WORKER_METRICS_PORT', () => {
  test("defaults to 9464 when unset or empty; 0 switches the worker's metrics off", () => {
    expect(loadConfig({ NODE_ENV: 'test' }).workerMetricsPort).toBe(9464);
    expect(loadConfig({ NODE_ENV: 'test', WORKER_METRICS_PORT: '' }).workerMetricsPort).toBe(9464);
    expect(loadConfig({ NODE_ENV: 'test', WORKER_METRICS_PORT: '9100' }).workerMetricsPort).toBe(9100);
    expect(loadConfig({ NODE_ENV: 'test', WORKER_METRICS_PORT: '0' }).workerMetricsPort).toBe(0);
  });

  test('must be a port number, reported with the other problems', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', WORKER_METRICS_PORT: '70000', PORT: 'x' })).toThrow(
      expect.objectContaining({
        problems: ['PORT must be an integer from 0 to 65535 (got "x")', 'WORKER_METRICS_PORT must be an integer from 0 to 65535 (got "70000")'],
      }),
    );
    expect(() => loadConfig({ NODE_ENV: 'test', WORKER_METRICS_PORT: 'metrics' })).toThrow(ConfigError);
  });
});
