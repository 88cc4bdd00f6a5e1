import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '../../libs/config/app-config.js';
import { createApi } from './api.js';

async function main() {
  const config = loadConfig();
  const app = await createApi(config);
  await app.listen(config.port);
  new Logger('Tidings').log(`API listening on port ${config.port}; OpenAPI at /docs`);
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
