import * as path from 'node:path';

export const MAX_FILENAME_LENGTH = 200;

/** C0/C1 controls, line and paragraph separators, and the bidi overrides that make `exe.pdf` read as `fdp.exe`. */
const UNSAFE_CHARACTERS = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * The client's filename reduced to something safe to show and to offer back in Content-Disposition:
 * the last path segment, no control characters, at most MAX_FILENAME_LENGTH characters with the
 * extension kept. Never used to name anything on disk.
 */
export function sanitizeFilename(raw: string): string {
  const lastSegment = raw.split(/[\\/]/).pop() ?? '';
  const cleaned = lastSegment.normalize('NFC').replace(UNSAFE_CHARACTERS, '').trim();
  const characters = Array.from(cleaned);
  if (characters.length <= MAX_FILENAME_LENGTH) return cleaned;
  const extension = Array.from(path.extname(cleaned)).slice(0, 16);
  return (
    characters
      .slice(0, MAX_FILENAME_LENGTH - extension.length)
      .join('')
      .trimEnd() + extension.join('')
  );
}

/** RFC 6266: an ASCII stand-in for old clients, and the exact name as RFC 5987 UTF-8. */
export function attachmentDisposition(filename: string): string {
  const asciiFallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${asciiFallback}"; filename*=UTF-8''${encoded}`;
}
