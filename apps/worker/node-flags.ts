/**
 * The V8 flags the worker runs with, wherever it is started: package.json (`start:worker`), docker-compose.yml,
 * scripts/start.sh and the test platform (test/support/platform.ts); test/config/worker-node-flags.spec.ts
 * keeps them alike, and the worker warns at startup when it runs without them.
 *
 * They size the heap for what the worker holds rather than for the machine. Measured on the campaign bench
 * (100,000 recipients in batches of 1000, 4 in flight) on a 24 GB machine, where V8 picks a 4 GB heap limit:
 * after each full collection the main thread's heap holds 60-90 MB, but V8 let the old generation grow to
 * four times that before collecting again, and the young generation to 128 MB (it scales the semi-spaces
 * with the heap limit, and grows them while batches survive their collections). The heap peaked at 505 MB,
 * almost all of it garbage, and the process at 795 MB.
 * - `--max-old-space-size=1024`: V8's growing factor between full collections scales down for heaps under
 *   2 GB; with 1 GB the old generation stayed within 1.6x of its live size (80 MB). Ten times what the
 *   worker holds, so a limit it should never reach.
 * - `--max-semi-space-size=16`: a young generation of at most 32 MB, not 128 MB (16 MB semi-spaces were
 *   V8's default on 64-bit before it scaled them with the heap limit). Objects that outlive a scavenge are
 *   promoted a little sooner; the bounded old generation collects them.
 * Together (six runs): the main heap peaked at 150-175 MB and the worker at 405-433 MB, against 668-805 MB
 * without them; the campaign no slower.
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=1024', '--max-semi-space-size=16'] as const;

/** The flags missing from how this process was started (its arguments and NODE_OPTIONS). */
export function missingWorkerNodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map((flag) => flag.replaceAll('_', '-')));
  return WORKER_NODE_FLAGS.filter((flag) => !given.has(flag));
}
