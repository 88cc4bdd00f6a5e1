import { fieldError } from './api-error.filter.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An opaque keyset cursor: the sort key and id of the last row of the previous page. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): { at: Date; id: string } | null {
  if (!cursor) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const date = new Date(at);
    // Checked here, so a forged cursor is a 400 rather than a database error: ids are UUIDs, times within PostgreSQL's range.
    const year = date.getUTCFullYear();
    if (typeof at !== 'string' || typeof id !== 'string' || !UUID.test(id) || Number.isNaN(date.getTime()) || year < 1 || year > 9999)
      throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw fieldError('cursor', 'is not a cursor this API returned');
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
