import { DateTime } from 'luxon';
import type { QuietHours } from '../organizations/organization.entity.js';

/**
 * If `at` falls inside the quiet hours in `zone` (local "HH:MM" from `start` up to, not including, `end`; a
 * window whose end is before its start spans midnight, e.g. 21:00–08:00), the moment they end; otherwise
 * null. SMS and push wait for it; email and the message center never do.
 */
export function quietUntil(at: Date, zone: string, hours: QuietHours | null): Date | null {
  if (!hours || hours.start === hours.end) return null;
  const local = DateTime.fromJSDate(at, { zone });
  const minutes = local.hour * 60 + local.minute;
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  const inside = start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
  if (!inside) return null;
  // The end is today, unless the window spans midnight and we are before it (then tomorrow).
  const endDay = start > end && minutes >= start ? local.plus({ days: 1 }) : local;
  return endDay.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 }).toJSDate();
}

function minutesOf(time: string): number {
  const [hour, minute] = time.split(':').map(Number);
  return hour * 60 + minute;
}
