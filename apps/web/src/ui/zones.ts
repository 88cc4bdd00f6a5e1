/** Wall-clock times in a named time zone, with the platform's Intl data (no library). */

const partsFormatter = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = partsFormatter.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatter.set(timeZone, formatter);
  }
  return formatter;
}

/** How far the zone's wall clock is ahead of UTC at this instant, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a `datetime-local` value ("2026-12-04T09:00") names on the wall clocks of `timeZone`. Across a
 * daylight-saving change the offset is taken again at the first guess, so 09:00 lands on 09:00 either side.
 */
export function zonedTimeToInstant(local: string, timeZone: string): Date {
  const [date, time = '00:00'] = local.split('T');
  const [year, month, day] = date.split('-').map(Number);
  const [hour, minute] = time.split(':').map(Number);
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  return new Date(second);
}

/** An instant as a `datetime-local` value on the wall clocks of `timeZone`. */
export function instantToZonedTime(instant: Date | string, timeZone: string): string {
  const at = new Date(instant).getTime();
  const wall = new Date(at + offsetAt(at, timeZone));
  return wall.toISOString().slice(0, 16);
}

/** "Friday, December 4, 2026 at 9:00 AM EST" in that zone. */
export function formatInZone(instant: Date | string, timeZone: string): string {
  return (
    new Intl.DateTimeFormat(undefined, { timeZone, dateStyle: 'full', timeStyle: 'short' }).format(new Date(instant)) +
    ` ${new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(new Date(instant)).find((p) => p.type === 'timeZoneName')?.value ?? ''}`
  );
}

export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
