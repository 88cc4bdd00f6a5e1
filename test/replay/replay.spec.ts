import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HISTORIES_DIR } from '../support/histories.js';
import { WORKFLOWS_PATH } from '../support/paths.js';

/**
 * Replays histories recorded from real runs against today's workflow code. A change that would make a
 * running message's workflow take a different path fails here; guard such changes with patched().
 */
describe('workflow replay over recorded histories', () => {
  // Histories of workflows started under earlier code stay in their own folders and must keep replaying.
  const files = (fs.readdirSync(HISTORIES_DIR, { recursive: true }) as string[]).filter((file) => file.endsWith('.json')).sort();

  test('there are recorded histories to replay, from each generation of the workflows', () => {
    expect(files.filter((file) => file.startsWith('before-delivery-ledger/')).length).toBeGreaterThanOrEqual(10);
    expect(files.filter((file) => file.startsWith('before-claim-and-plan-at-once/')).length).toBeGreaterThanOrEqual(10);
    expect(files.filter((file) => file.startsWith('before-send-at-delivery-time/')).length).toBeGreaterThanOrEqual(10);
    expect(files.filter((file) => file.startsWith('before-sms-pacing/campaign-')).length).toBeGreaterThanOrEqual(1);
    expect(files.filter((file) => !file.includes('/')).length).toBeGreaterThanOrEqual(10);
  });

  test.each(files)('%s replays deterministically', async (file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: file }, history, path.basename(file, '.json'));
  });
});
