import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

/**
 * The API starts a workflow inside the transaction that stores its row, so the workflow's first step
 * can run before that commit is visible. A missing row is therefore retried for a while (attempts 1–6:
 * about 30 s of backoff) before it is taken to mean the transaction rolled back.
 */
const ATTEMPTS_BEFORE_GIVING_UP = 6;

/** Throws a retryable failure while the row may still be on its way; returns once it cannot be. */
export function retryUntilCommitted(what: string): void {
  if (Context.current().info.attempt < ATTEMPTS_BEFORE_GIVING_UP) {
    throw ApplicationFailure.retryable(`${what} is not stored (yet): its transaction may still be committing`, 'NotYetCommitted');
  }
}
