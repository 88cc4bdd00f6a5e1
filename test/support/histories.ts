import { historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, TEMPORAL_CLI } from './paths.js';

export const HISTORIES_DIR = path.join(REPO_ROOT, 'test/replay/histories');

/**
 * With RECORD_HISTORIES=1, saves a real run's workflow history for the replay suite. Recorded once per
 * workflow change, committed, and replayed on every test run so a non-deterministic edit fails the build.
 * The Temporal CLI writes the history as the SDKs read it (protobuf JSON).
 */
export async function recordHistory(temporalAddress: string, workflowId: string, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const json = execFileSync(TEMPORAL_CLI, ['workflow', 'show', '--workflow-id', workflowId, '--address', temporalAddress, '--output', 'json'], {
    encoding: 'utf8',
  });
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  fs.writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), json);
}

/** The same, for a workflow on the time-skipping test server (which the CLI cannot reach): its history as the SDK fetched it. */
export async function recordFetchedHistory(handle: { fetchHistory(): Promise<History> }, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  fs.writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), historyToJSON(await handle.fetchHistory()));
}
