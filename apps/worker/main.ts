import { Logger } from '@nestjs/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../../libs/config/app-config.js';
import { createWorker } from './worker.js';

async function main() {
  const config = loadConfig();
  // The SDK's INFO lines include the whole workflow bundle report; warnings and errors are what operators need.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const tidings = await createWorker(config);
  new Logger('Tidings').log(`worker polling task queue "${config.temporal.taskQueue}" at ${config.temporal.address}`);
  await tidings.run();
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
