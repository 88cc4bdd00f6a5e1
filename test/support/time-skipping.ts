import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { TEMPORAL_TEST_SERVER } from './paths.js';

/** Temporal's time-skipping test server, from the binary setup installed (the SDK's download cannot work here). */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEMPORAL_TEST_SERVER } } });
}
