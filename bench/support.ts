/** What every bench case reports about a set of durations or lags, in milliseconds. */
export interface Timings {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface Lags {
  messages: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentiles, to a tenth of a millisecond. */
export function percentiles(values: number[]): { count: number; p50Ms: number; p99Ms: number; maxMs: number } {
  if (values.length === 0) throw new Error('no values to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round(sorted[sorted.length - 1]) };
}

export function summarize(durations: number[]): Timings {
  const { count, ...rest } = percentiles(durations);
  return { requests: count, ...rest };
}

export function summarizeLags(lags: number[]): Lags {
  const { count, ...rest } = percentiles(lags);
  return { messages: count, ...rest };
}

/** Runs `task(0)` … `task(count - 1)` with at most `concurrency` of them in flight. */
export async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * The start of a whole second at least `leadMs` from now: what "1,000 messages due in the same second"
 * are all scheduled for.
 */
export function dueSecondAfter(leadMs: number): Date {
  return new Date(Math.ceil((Date.now() + leadMs) / 1000) * 1000);
}

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
