import { fieldError } from './api-error.filter.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A sort key in a cursor: UTC, with up to the microseconds PostgreSQL keeps. */
const SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/**
 * The sort key of a timestamp column as a cursor must carry it: with PostgreSQL's microseconds. A JavaScript Date
 * keeps milliseconds only, and a cursor cut to them would skip the rows that share the millisecond of a page's last
 * row but sort after it. Select it beside the row (`${cursorKeySql('t.created_at')} as cursor_at`).
 */
export const cursorKeySql = (column: string): string => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** An opaque keyset cursor: the sort key (full precision, from cursorKeySql) and id of the last row of the previous page. */
export function encodeCursor(at: string | Date, id: string): string {
  return Buffer.from(JSON.stringify([typeof at === 'string' ? at : at.toISOString(), id])).toString('base64url');
}

/** The cursor's sort key stays text, compared in SQL as the timestamp it names, to the microsecond. */
export function decodeCursor(cursor: string | undefined): { at: string; id: string } | null {
  if (!cursor) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Checked here, so a forged cursor is a 400 rather than a database error: ids are UUIDs, times within PostgreSQL's range.
    if (typeof at !== 'string' || typeof id !== 'string' || !UUID.test(id) || !SORT_KEY.test(at) || Number.isNaN(new Date(at).getTime()))
      throw new Error('bad cursor');
    return { at, id };
  } catch {
    throw fieldError('cursor', 'is not a cursor this API returned');
  }
}

/** A keyset cursor over a text sort key (a name) and the row's id: lists in alphabetical order. */
export function encodeTextCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify(['t', key, id])).toString('base64url');
}

export function decodeTextCursor(cursor: string | undefined): { key: string; id: string } | null {
  if (!cursor) return null;
  try {
    const [tag, key, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (tag !== 't' || typeof key !== 'string' || key.length > 1000 || typeof id !== 'string' || !UUID.test(id)) throw new Error('bad cursor');
    return { key, id };
  } catch {
    throw fieldError('cursor', 'is not a cursor this API returned');
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
