import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import * as net from 'node:net';

const BIND_ATTEMPTS = 3;
const SCRAPE_TIMEOUT_MS = 2000;

/**
 * Installs the Temporal runtime with the SDK's own Prometheus exporter on a free loopback port, and returns
 * the URL it answers on. It is not published: the worker's /metrics appends its text to ours, so Prometheus
 * scrapes one port per worker. The port is chosen here because the SDK does not say which one it bound.
 */
export async function installRuntimeExportingMetrics(options: RuntimeOptions): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    const bindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
    try {
      Runtime.install({
        ...options,
        telemetryOptions: {
          ...options.telemetryOptions,
          metrics: {
            // Prometheus conventions, like ours: seconds, the unit in the name, `_total` on counters.
            prometheus: { bindAddress, useSecondsForDurations: true, unitSuffix: true, countersTotalSuffix: true },
          },
        },
      });
      return `http://${bindAddress}/metrics`;
    } catch (error) {
      // Another process may take the port between our probe and the SDK's bind; anything else is not ours to retry.
      if (attempt >= BIND_ATTEMPTS || !/prometheus/i.test((error as Error).message)) throw error;
    }
  }
}

/** The SDK exporter's exposition text, in the same Prometheus text format as prom-client's. */
export async function scrapeTemporalSdkMetrics(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`the Temporal SDK exporter answered HTTP ${response.status}`);
  return response.text();
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
