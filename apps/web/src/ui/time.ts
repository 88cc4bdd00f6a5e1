/** Times as a person reads them, in the browser's own time zone. */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

export function formatDateTime(value: string | Date | null | undefined): string {
  return value ? dateTime.format(new Date(value)) : '';
}

/** Today's times as a time, older ones as a date: how an inbox shows "last updated". */
export function formatShort(value: string | Date | null | undefined): string {
  if (!value) return '';
  const date = new Date(value);
  return date.toDateString() === new Date().toDateString() ? timeOnly.format(date) : dateOnly.format(date);
}

/** "in 4 min", "12 min overdue": a countdown's words for a number of milliseconds from now. */
export function formatCountdown(milliseconds: number): string {
  const overdue = milliseconds < 0;
  const minutes = Math.floor(Math.abs(milliseconds) / 60_000);
  const seconds = Math.floor((Math.abs(milliseconds) % 60_000) / 1000);
  const hours = Math.floor(minutes / 60);
  const span = hours >= 1 ? `${hours} h ${minutes % 60} min` : minutes >= 1 ? `${minutes} min ${seconds} s` : `${seconds} s`;
  return overdue ? `${span} overdue` : `due in ${span}`;
}
