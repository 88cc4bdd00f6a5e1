import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root, found from wherever the compiled test runs (dist/test/…). */
export const REPO_ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) || dir.endsWith('dist')) dir = path.dirname(dir);
  return dir;
})();

export const TEMPORAL_CLI = process.env.TEMPORAL_CLI ?? path.join(REPO_ROOT, '.tools/venv/bin/temporal');
export const TEMPORAL_TEST_SERVER = process.env.TEMPORAL_TEST_SERVER ?? path.join(REPO_ROOT, '.tools/venv/bin/temporal-test-server');
export const WORKFLOWS_PATH = path.join(REPO_ROOT, 'dist/workflows/index.js');
