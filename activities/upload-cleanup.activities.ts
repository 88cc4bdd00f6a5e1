import type { AbandonedUploads } from '../libs/attachments/abandoned-uploads.js';
import type { UploadCleanupActivities } from '../workflows/upload-cleanup.contract.js';

/** Runs the call in its own unit of work, as an HTTP request would. */
export type UploadsUnitOfWork = <T>(work: (uploads: AbandonedUploads) => Promise<T>) => Promise<T>;

/** A thin adapter from Temporal to the abandoned-upload cleanup. */
export function createUploadCleanupActivities(inUnitOfWork: UploadsUnitOfWork): UploadCleanupActivities {
  return {
    deleteAbandonedUploads: () => inUnitOfWork((uploads) => uploads.deleteBatch()),
  };
}
