import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '../../libs/config/app-config.js';
import { createWorker } from './worker.js';

async function main() {
  const config = loadConfig();
  const tidings = await createWorker(config);
  new Logger('Tidings').log(`worker polling task queue "${config.temporal.taskQueue}" at ${config.temporal.address}`);
  await tidings.run();
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
