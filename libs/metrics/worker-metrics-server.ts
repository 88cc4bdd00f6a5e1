import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import * as http from 'node:http';
import { scrapeTemporalSdkMetrics } from './temporal-sdk-metrics.js';
import type { TidingsMetrics } from './tidings-metrics.js';

export interface WorkerMetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /metrics` for the worker, which has no HTTP server of its own: our registry, then the Temporal SDK's
 * metrics when its exporter runs. Without the SDK's part the scrape still answers, so a hiccup there does
 * not hide the rest.
 */
export async function serveWorkerMetrics(port: number, metrics: TidingsMetrics, temporalSdkMetricsUrl?: string): Promise<WorkerMetricsServer> {
  const logger = new Logger('WorkerMetrics');
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://worker').pathname;
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    void exposition().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: Error) => {
        logger.error(`could not collect metrics: ${error.message}`);
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });

  async function exposition(): Promise<string> {
    const [ours, sdk] = await Promise.all([
      metrics.exposition(),
      temporalSdkMetricsUrl
        ? scrapeTemporalSdkMetrics(temporalSdkMetricsUrl).catch((error: Error) => {
            logger.warn(`could not read the Temporal SDK metrics: ${error.message}`);
            return '';
          })
        : '',
    ]);
    return ours.endsWith('\n') || ours === '' ? ours + sdk : `${ours}\n${sdk}`;
  }

  server.listen(port);
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
