import { Logger } from '@nestjs/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../../libs/config/app-config.js';
import { installRuntimeExportingMetrics } from '../../libs/metrics/temporal-sdk-metrics.js';
import { TidingsMetrics } from '../../libs/metrics/tidings-metrics.js';
import { serveWorkerMetrics, type WorkerMetricsServer } from '../../libs/metrics/worker-metrics-server.js';
import { missingWorkerNodeFlags } from './node-flags.js';
import { createWorker } from './worker.js';

async function main() {
  const config = loadConfig();
  const logger = new Logger('Tidings');
  const missingFlags = missingWorkerNodeFlags();
  if (missingFlags.length) {
    logger.warn(`worker started without ${missingFlags.join(' ')} (see apps/worker/node-flags.ts): its heap may grow to several times what it holds`);
  }
  // The SDK's INFO lines include the whole workflow bundle report; warnings and errors are what operators need.
  const runtimeOptions = { logger: new DefaultLogger('WARN') };
  const metricsOn = config.workerMetricsPort !== 0;
  // Before the worker: the runtime cannot be replaced once a connection uses it.
  let temporalSdkMetricsUrl: string | undefined;
  if (metricsOn) temporalSdkMetricsUrl = await installRuntimeExportingMetrics(runtimeOptions);
  else Runtime.install(runtimeOptions);

  const tidings = await createWorker(config);
  // A port already taken ends the process here (exit 1): better than a worker nobody can observe.
  const metricsServer: WorkerMetricsServer | undefined = metricsOn
    ? await serveWorkerMetrics(config.workerMetricsPort, tidings.app.get(TidingsMetrics), temporalSdkMetricsUrl)
    : undefined;
  if (metricsServer) logger.log(`worker metrics on port ${metricsServer.port} at /metrics`);
  logger.log(`worker polling task queue "${config.temporal.taskQueue}" at ${config.temporal.address}`);
  try {
    await tidings.run();
  } finally {
    await metricsServer?.close();
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
