/**
 * Everything the upload-cleanup workflow shares with the rest of Tidings: its name, the schedule that starts it,
 * and the one activity it calls. The workflow imports nothing else of ours.
 */
export const UPLOAD_CLEANUP_WORKFLOW = 'cleanUpUploads';
/** The Temporal Schedule that runs it; its runs are `tidings-upload-cleanup-<timestamp>`. */
export const UPLOAD_CLEANUP_SCHEDULE_ID = 'tidings-upload-cleanup';

/** One batch of deletions. */
export interface UploadCleanupBatch {
  deleted: number;
  /** More were due than one batch takes. */
  more: boolean;
}

/** What the worker runs for this workflow (activities/upload-cleanup.activities.ts). */
export interface UploadCleanupActivities {
  /** Deletes, rows and files, up to one batch of uploads never attached to anything for 24 hours. */
  deleteAbandonedUploads(): Promise<UploadCleanupBatch>;
}
