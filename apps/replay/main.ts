import { Client, Connection, isGrpcServiceError, type HistoryAndWorkflowId } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../libs/config/app-config.js';
import { temporalConnectionOptions } from '../../libs/temporal/temporal-connection.js';
import { parseArgs } from 'node:util';

/**
 * Replays workflow histories from the Temporal server against the workflow code about to be deployed.
 * A history that no longer replays is a running workflow the new code would break: guard the change
 * with patched() before deploying.
 */
const USAGE = `usage: npm run replay -- <workflowId> [<workflowId> ...]
       npm run replay -- --query '<visibility query>' [--limit N]
options: --limit N           replay at most N histories of the query (default 100)
         --workflows <path>  workflow code to replay against (default dist/workflows/index.js)`;

const DEFAULT_LIMIT = 100;
const EXIT_REPLAY_FAILED = 1;
/** Nothing was checked: bad arguments, server unreachable, unknown ids, nothing matched. */
const EXIT_NOT_CHECKED = 2;
const GRPC_NOT_FOUND = 5;

/** A reason the check could not run; printed as is, without a stack. */
class NotChecked extends Error {}

interface Arguments {
  ids: string[];
  query?: string;
  limit: number;
  workflowsPath: string;
}

function parseArguments(): Arguments {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        query: { type: 'string' },
        limit: { type: 'string', default: String(DEFAULT_LIMIT) },
        workflows: { type: 'string', default: 'dist/workflows/index.js' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new NotChecked(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.query === undefined && positionals.length === 0) throw new NotChecked(`give workflow ids or --query\n${USAGE}`);
  if (values.query !== undefined && positionals.length > 0) throw new NotChecked(`give workflow ids or --query, not both\n${USAGE}`);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new NotChecked(`--limit must be a positive integer (got "${values.limit}")`);
  const workflowsPath = path.resolve(values.workflows);
  if (!fs.existsSync(workflowsPath)) throw new NotChecked(`no workflow code at ${workflowsPath}: run npm run build first`);
  return { ids: positionals, query: values.query, limit, workflowsPath };
}

async function main(): Promise<number> {
  const args = parseArguments();
  // The Temporal settings as the API and worker read them (TLS, mTLS, API key included). Read in development mode
  // only so that the API's secrets are not demanded here: this process holds none and serves nothing.
  let temporal: ReturnType<typeof temporalConnectionOptions>;
  let namespace: string;
  try {
    const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
    [temporal, namespace] = [temporalConnectionOptions(config), config.temporal.namespace];
  } catch (error) {
    throw new NotChecked(error instanceof ConfigError ? error.message : describe(error));
  }
  const address = temporal.address;
  // Stdout is one line per history. The bundler's INFO report and the core's warning for each failed
  // workflow task (the same failure the history's line reports) would drown it; real errors go to stderr.
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'ERROR' }, forward: {} } } });

  const connection = await Connection.connect({ ...temporal, connectTimeout: '5 seconds' }).catch((error) => {
    throw new NotChecked(`cannot reach the Temporal server at ${address}: ${describe(error)}`);
  });
  try {
    const client = new Client({ connection, namespace });
    const where = `in namespace "${namespace}" at ${address}`;
    const nothingMatched = `no workflow matched the query ${where}; nothing was replayed`;
    let histories: HistoryAndWorkflowId[] | AsyncIterable<HistoryAndWorkflowId>;
    let notFound = 0;
    let matching = 0;
    if (args.query === undefined) {
      histories = await fetchHistories(client, args.ids);
      notFound = args.ids.length - histories.length;
      if (histories.length === 0) {
        console.log(`none of the workflow ids was found ${where}; nothing was replayed`);
        return EXIT_NOT_CHECKED;
      }
    } else {
      // Counting first also rejects a mistyped query before the workflow code is bundled (seconds).
      matching = (await client.workflow.count(args.query)).count;
      if (matching === 0) {
        console.log(nothingMatched);
        return EXIT_NOT_CHECKED;
      }
      histories = queryHistories(client, args.query, args.limit);
    }

    let ok = 0;
    let failed = 0;
    for await (const { workflowId, runId, error } of Worker.runReplayHistories({ workflowsPath: args.workflowsPath, replayName: 'replay' }, histories)) {
      if (error) failed++;
      else ok++;
      console.log(`${workflowId}  ${runId}  ${error ? `${error.name}: ${coreFailure(error.message)}` : 'ok'}`);
    }

    const replayed = ok + failed;
    // The count and the list are eventually consistent, each on its own.
    if (replayed === 0) {
      console.log(nothingMatched);
      return EXIT_NOT_CHECKED;
    }
    console.log(
      `replayed ${replayed} ${replayed === 1 ? 'history' : 'histories'}: ${ok} ok, ${failed} failed` +
        (notFound > 0 ? `, ${notFound} not found` : '') +
        (replayed === args.limit && matching > replayed ? ` (stopped at --limit ${args.limit} of ${matching} matching)` : ''),
    );
    if (failed > 0) return EXIT_REPLAY_FAILED;
    return notFound > 0 ? EXIT_NOT_CHECKED : 0;
  } finally {
    await connection.close();
  }
}

async function* queryHistories(client: Client, query: string, limit: number): AsyncIterable<HistoryAndWorkflowId> {
  let taken = 0;
  // One download at a time: the SDK's concurrent download runs ahead without bound (1.24 drops bufferLimit),
  // which on a broad query would keep fetching past --limit while the replay catches up.
  for await (const history of client.workflow.list({ query, pageSize: Math.min(limit, 1000) }).intoHistories({ concurrency: 1 })) {
    yield history;
    if (++taken >= limit) return;
  }
}

/** The latest run of each id; an unknown id gets its line here, since it has no run to replay. */
async function fetchHistories(client: Client, ids: string[]): Promise<HistoryAndWorkflowId[]> {
  const found: HistoryAndWorkflowId[] = [];
  for (const workflowId of ids) {
    try {
      found.push({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() });
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-comparison -- gRPC's Status enum is @grpc/grpc-js's, which the project does not depend on; 5 is NOT_FOUND
      if (!isGrpcServiceError(error) || error.code !== GRPC_NOT_FOUND) throw error;
      console.log(`${workflowId}  -  not found: ${oneLine(error.details)}`);
    }
  }
  return found;
}

/**
 * The core's own words for a failed replay (`[TMPRL1100] Nondeterminism error: …`), which the SDK wraps in
 * a paragraph of explanation and a debug dump of the failure; the whole message when it has another shape.
 */
function coreFailure(message: string): string {
  return oneLine(/Failure \{ message: "((?:[^"\\]|\\.)*)"/.exec(message)?.[1] ?? message);
}

function describe(error: unknown): string {
  const { message, cause } = error as Error;
  return oneLine(cause instanceof Error && !message.includes(cause.message) ? `${message}: ${cause.message}` : message);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof NotChecked ? error.message : `replay could not run: ${describe(error)}`);
    process.exit(EXIT_NOT_CHECKED);
  },
);
