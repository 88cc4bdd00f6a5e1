import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { TEMPORAL_TEST_SERVER } from './paths.js';

/**
 * Temporal's time-skipping test server, from the binary setup installed (the SDK's download cannot work here).
 *
 * The server refuses search attributes it does not know, both on start and on upsert (the workflow task then
 * fails with BadSearchAttributes and is retried forever), and unlike the dev server it takes none on its command
 * line: `searchAttributes` are registered through its operator service (which has no ListSearchAttributes).
 */
export async function startTimeSkippingServer(
  searchAttributes: ReadonlyArray<{ name: string; type: SearchAttributeType }> = [],
): Promise<TestWorkflowEnvironment> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEMPORAL_TEST_SERVER } } });
  if (searchAttributes.length) {
    const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    if (searchAttributes.some((key) => key.type !== 'KEYWORD')) throw new Error('only Keyword search attributes are registered here');
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(searchAttributes.map((key) => [key.name, KEYWORD])),
    });
  }
  return env;
}
