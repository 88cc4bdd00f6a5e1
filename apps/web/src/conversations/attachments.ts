import { ApiError, send } from '../api/client';

/**
 * Attachments need the bearer token, which a plain link cannot carry: fetched as a blob, then handed to the browser
 * as a download under its own name.
 */
export async function downloadAttachment(id: string, filename: string): Promise<void> {
  const blob = await send<Blob>('GET', `/v1/attachments/${id}`, undefined, { asBlob: true });
  if (!(blob instanceof Blob)) throw new ApiError(500, 'The file could not be downloaded.');
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
