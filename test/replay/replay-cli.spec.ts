import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { TemporalDevServer } from '../support/platform.js';
import { REPO_ROOT } from '../support/paths.js';
import { freePort, waitFor } from '../support/processes.js';
import { greetingActivities } from './fixtures/greeting-activities.js';
import type { greeting } from './fixtures/greeting-v1.js';

const CLI = path.join(REPO_ROOT, 'dist/apps/replay/main.js');
const GREETING_V1 = path.join(REPO_ROOT, 'dist/test/replay/fixtures/greeting-v1.js');
const GREETING_V2 = path.join(REPO_ROOT, 'dist/test/replay/fixtures/greeting-v2.js');
const GREETINGS_QUERY = 'WorkflowType="greeting"';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run replay` as an engineer runs it before a deploy: histories of real runs on a Temporal dev
 * server, replayed against the code that ran them (v1) and against a changed version (v2) whose
 * commands come in a different order.
 */
describe('npm run replay', () => {
  const temporal = new TemporalDevServer();
  const taskQueue = `replay-cli-${process.pid}`;
  /** workflow id → run id of the runs whose histories the CLI replays. */
  const runs = new Map<string, string>();

  function replay(args: string[], address = temporal.address): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, NODE_OPTIONS: '', TEMPORAL_ADDRESS: address },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  function lines(run: CliRun): string[] {
    return run.stdout.trim().split('\n');
  }

  beforeAll(async () => {
    await temporal.start();
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const workerConnection = await NativeConnection.connect({ address: temporal.address });
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const worker = await Worker.create({ connection: workerConnection, taskQueue, workflowsPath: GREETING_V1, activities: greetingActivities });
      const client = new Client({ connection });
      await worker.runUntil(async () => {
        for (const name of ['Ada', 'Grace']) {
          const handle = await client.workflow.start<typeof greeting>('greeting', { taskQueue, workflowId: `greeting-${name}`, args: [name] });
          await expect(handle.result()).resolves.toBe(`Hello, ${name}`);
          runs.set(handle.workflowId, handle.firstExecutionRunId);
        }
      });
      // The visibility store catches up a moment after the runs complete; --query reads it.
      await waitFor('both greetings to be listed', async () => {
        let listed = 0;
        for await (const _ of client.workflow.list({ query: `${GREETINGS_QUERY} AND ExecutionStatus="Completed"` })) listed++;
        return listed === runs.size;
      });
    } finally {
      await connection.close();
      await workerConnection.close();
    }
  }, 60_000);

  afterAll(async () => {
    await temporal.destroy();
  });

  test('histories given by id replay against the code that ran them', async () => {
    const run = await replay([...runs.keys(), '--workflows', GREETING_V1]);

    expect(run.code).toBe(0);
    expect(lines(run)).toEqual([...[...runs].map(([workflowId, runId]) => `${workflowId}  ${runId}  ok`), 'replayed 2 histories: 2 ok, 0 failed']);
  });

  test('histories found by --query replay against the code that ran them', async () => {
    const run = await replay(['--query', GREETINGS_QUERY, '--workflows', GREETING_V1]);

    expect(run.code).toBe(0);
    // Downloaded histories come in the order the visibility store lists them.
    expect(lines(run).sort()).toEqual(
      [...[...runs].map(([workflowId, runId]) => `${workflowId}  ${runId}  ok`), 'replayed 2 histories: 2 ok, 0 failed'].sort(),
    );
  });

  test('--limit caps how many histories a query replays, and says so', async () => {
    const run = await replay(['--query', GREETINGS_QUERY, '--limit', '1', '--workflows', GREETING_V1]);

    expect(run.code).toBe(0);
    expect(lines(run)).toHaveLength(2);
    expect(lines(run)[1]).toBe('replayed 1 history: 1 ok, 0 failed (stopped at --limit 1 of 2 matching)');
  });

  test('a workflow change that reorders commands fails the replay and names the non-determinism', async () => {
    const run = await replay(['--query', GREETINGS_QUERY, '--workflows', GREETING_V2]);

    expect(run.code).toBe(1);
    const output = lines(run);
    expect(output).toHaveLength(runs.size + 1);
    for (const [workflowId, runId] of runs) {
      const line = output.find((candidate) => candidate.startsWith(`${workflowId}  ${runId}  `));
      expect(line).toMatch(/ {2}DeterminismViolationError: .*Nondeterminism error: /);
    }
    expect(output.at(-1)).toBe('replayed 2 histories: 0 ok, 2 failed');
  });

  test('an unknown workflow id fails the check and is named', async () => {
    const run = await replay(['greeting-Nobody', '--workflows', GREETING_V1]);

    expect(run.code).toBe(2);
    expect(lines(run)[0]).toMatch(/^greeting-Nobody {2}- {2}not found: /);
    expect(lines(run).at(-1)).toBe(`none of the workflow ids was found in namespace "default" at ${temporal.address}; nothing was replayed`);
  });

  test('a query that matches nothing fails the check rather than passing it', async () => {
    const run = await replay(['--query', 'WorkflowType="farewell"', '--workflows', GREETING_V1]);

    expect(run.code).toBe(2);
    expect(run.stdout.trim()).toBe(`no workflow matched the query in namespace "default" at ${temporal.address}; nothing was replayed`);
  });

  test('an unreachable server fails the check with the address it tried', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const run = await replay([...runs.keys()], address);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toMatch(new RegExp(`^cannot reach the Temporal server at ${address}: `));
  });
});
