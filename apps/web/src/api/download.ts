import { ApiError, send } from './client';

/**
 * A file the API serves behind the bearer token (an attachment, a CSV export), which a plain link cannot carry:
 * fetched as a blob, then handed to the browser as a download under `filename`.
 */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await send<Blob>('GET', path, undefined, { asBlob: true });
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
