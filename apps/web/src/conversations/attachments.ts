import { download } from '../api/download';

/** Attachments need the bearer token: downloaded as a blob under their own name. */
export const downloadAttachment = (id: string, filename: string): Promise<void> => download(`/v1/attachments/${id}`, filename);

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
