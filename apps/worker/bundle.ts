import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Where `npm run build` leaves the workflows' bundle, so a starting worker need not run the bundler. */
export const WORKFLOW_BUNDLE_PATH = path.join(__dirname, '../../workflows/workflow-bundle.js');
const WORKFLOWS_PATH = require.resolve('../../workflows/index.js');

/**
 * The bundle of every workflow, built once: the bundler takes well over 100 MB of a worker's memory while
 * it runs, and the process keeps that memory. Built by `npm run build`; bundled here if it is missing.
 */
export async function workflowBundle(): Promise<{ codePath: string } | { code: string }> {
  if (fs.existsSync(WORKFLOW_BUNDLE_PATH)) return { codePath: WORKFLOW_BUNDLE_PATH };
  return { code: (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })).code };
}

if (require.main === module) {
  bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })
    .then(({ code }) => fs.writeFileSync(WORKFLOW_BUNDLE_PATH, code))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
