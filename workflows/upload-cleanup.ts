import { proxyActivities } from '@temporalio/workflow';
import type { UploadCleanupActivities } from './upload-cleanup.contract.js';

/** A failed batch is retried a little; the schedule's next run comes within the hour anyway. */
const { deleteAbandonedUploads } = proxyActivities<UploadCleanupActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** A run's batches at most: a backlog larger than this is finished by the next runs, keeping each history short. */
const MAX_BATCHES = 50;

/** One pass of the cleanup, started by the `tidings-upload-cleanup` schedule: deletes abandoned uploads, batch by batch. */
export async function cleanUpUploads(): Promise<{ deleted: number }> {
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const result = await deleteAbandonedUploads();
    deleted += result.deleted;
    if (!result.more) break;
  }
  return { deleted };
}
