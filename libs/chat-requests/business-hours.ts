import { DateTime } from 'luxon';
import { isValidTimezone } from '../time/time-zones.js';
import type { BusinessHours } from '../organizations/organization.entity.js';

const MINUTE_MS = 60_000;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "HH:MM" (00:00–23:59), the form business hours take. */
export const isTimeOfDay = (value: string): boolean => HH_MM.test(value);

/**
 * When `minutes` of working time have passed since `start`.
 *
 * Without business hours (`null`) that is plainly `start + minutes`. With them, only time inside the working
 * windows counts: on the ISO weekdays `hours.days` (1 Monday … 7 Sunday), from `hours.start` to `hours.end`
 * (local "HH:MM" in `hours.timezone`). A window is half-open, [start, end): counting that reaches a window's
 * end exactly stops there (Fri 16:00 + 60 with 08:00–17:00 is Fri 17:00, not Monday 08:00), while a `start`
 * at or after a window's end, or on a day off, begins counting at the next window's start. So with business
 * hours, 0 minutes gives `start` itself inside a window and the next window's start outside one.
 *
 * Minutes are elapsed time: where a window spans a daylight-saving change it holds one hour more or less of
 * working time. A window edge that falls in a skipped local hour moves forward, as luxon resolves it.
 *
 * Throws on a negative or non-finite `minutes`, and on hours that can never count (no valid weekday, times
 * not "HH:MM", end not after start, unknown zone): validation refuses those before they are stored.
 */
export function addBusinessMinutes(start: Date, minutes: number, hours: BusinessHours | null): Date {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`minutes must be a non-negative number, not ${minutes}`);
  if (!hours) return new Date(start.getTime() + minutes * MINUTE_MS);

  const days = new Set(hours.days.filter((day) => Number.isInteger(day) && day >= 1 && day <= 7));
  if (days.size === 0) throw new RangeError('business hours name no working day');
  const open = parseTimeOfDay(hours.start, 'start');
  const close = parseTimeOfDay(hours.end, 'end');
  if (close.hour * 60 + close.minute <= open.hour * 60 + open.minute)
    throw new RangeError(`business hours end (${hours.end}) must be after start (${hours.start})`);
  if (!isValidTimezone(hours.timezone)) throw new RangeError(`unknown time zone ${hours.timezone}`);

  let remainingMs = minutes * MINUTE_MS;
  let cursor = DateTime.fromJSDate(start, { zone: hours.timezone });
  // Each pass moves on one local day. Whole weeks of windows use up the minutes in this many passes; a year
  // more is room for windows that a daylight-saving change shortens. Past that, something is wrong: stop.
  const minutesPerWeek = days.size * (close.hour * 60 + close.minute - (open.hour * 60 + open.minute));
  const maxPasses = 7 * (Math.ceil(minutes / minutesPerWeek) + 2) + 366;
  for (let pass = 0; pass < maxPasses; pass++) {
    const day = cursor.startOf('day');
    if (days.has(day.weekday)) {
      const windowStart = day.set({ hour: open.hour, minute: open.minute });
      const windowEnd = day.set({ hour: close.hour, minute: close.minute });
      if (cursor < windowEnd) {
        const from = cursor < windowStart ? windowStart : cursor;
        const availableMs = windowEnd.toMillis() - from.toMillis();
        if (remainingMs <= availableMs) return new Date(from.toMillis() + remainingMs);
        remainingMs -= availableMs;
      }
    }
    cursor = day.plus({ days: 1 }).startOf('day');
  }
  throw new Error('business minutes could not be counted: the working windows hold no time');
}

function parseTimeOfDay(value: string, field: string): { hour: number; minute: number } {
  const match = HH_MM.exec(value);
  if (!match) throw new RangeError(`business hours ${field} must be "HH:MM", not ${JSON.stringify(value)}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}
