import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

/** The smallest useful workflow: one activity that does nothing. Measures the Temporal server alone. */
export async function oneNoopActivity(): Promise<void> {
  await noop();
}
