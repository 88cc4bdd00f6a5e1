import * as fs from 'node:fs';
import * as path from 'node:path';
import { missingWorkerNodeFlags, WORKER_NODE_FLAGS } from '../../apps/worker/node-flags.js';
import { REPO_ROOT } from '../support/paths.js';

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');

describe('the worker V8 flags', () => {
  const flags = WORKER_NODE_FLAGS.join(' ');

  test('every place that starts the worker starts it with them', () => {
    const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(packageJson.scripts['start:worker']).toBe(`node ${flags} dist/apps/worker/main.js`);
    expect(read('scripts/start.sh')).toContain(`spawn worker node ${flags} dist/apps/worker/main.js\n`);
    expect(read('docker-compose.yml')).toContain(
      `command: ${JSON.stringify(['node', ...WORKER_NODE_FLAGS, 'dist/apps/worker/main.js']).replaceAll(',', ', ')}\n`,
    );
    expect(read('Dockerfile')).toContain(`worker:  node ${flags} dist/apps/worker/main.js`);
  });

  test('the worker tells which are missing, from its arguments or NODE_OPTIONS', () => {
    expect(missingWorkerNodeFlags([], '')).toEqual([...WORKER_NODE_FLAGS]);
    expect(missingWorkerNodeFlags([...WORKER_NODE_FLAGS], '')).toEqual([]);
    expect(missingWorkerNodeFlags(['--max-old-space-size=1024'], '--max_semi_space_size=16')).toEqual([]);
    expect(missingWorkerNodeFlags(['--max-old-space-size=4096'], '')).toEqual([...WORKER_NODE_FLAGS]);
  });
});
