import { quietUntil } from './quiet-hours.js';

const NIGHT = { start: '21:00', end: '08:00' };

describe('quietUntil', () => {
  it('holds a send made at night until the morning, in the recipient’s own zone', () => {
    // 23:30 in Chicago (CST, UTC-6) is 05:30 UTC the next day.
    expect(quietUntil(new Date('2026-12-03T05:30:00Z'), 'America/Chicago', NIGHT)?.toISOString()).toBe('2026-12-03T14:00:00.000Z');
    // 06:59 in Berlin (CET, UTC+1): an hour left.
    expect(quietUntil(new Date('2026-12-03T05:59:00Z'), 'Europe/Berlin', NIGHT)?.toISOString()).toBe('2026-12-03T07:00:00.000Z');
  });

  it('lets a send through outside the window, and at its end exactly', () => {
    expect(quietUntil(new Date('2026-12-03T14:00:00Z'), 'America/Chicago', NIGHT)).toBeNull();
    expect(quietUntil(new Date('2026-12-03T20:59:00Z'), 'UTC', NIGHT)).toBeNull();
    expect(quietUntil(new Date('2026-12-03T21:00:00Z'), 'UTC', NIGHT)?.toISOString()).toBe('2026-12-04T08:00:00.000Z');
  });

  it('handles a window within one day, and none', () => {
    const lunch = { start: '12:00', end: '13:30' };
    expect(quietUntil(new Date('2026-12-03T12:15:00Z'), 'UTC', lunch)?.toISOString()).toBe('2026-12-03T13:30:00.000Z');
    expect(quietUntil(new Date('2026-12-03T13:30:00Z'), 'UTC', lunch)).toBeNull();
    expect(quietUntil(new Date('2026-12-03T23:00:00Z'), 'UTC', null)).toBeNull();
  });

  it('ends at the local time across a daylight-saving change', () => {
    // New York falls back on 2026-11-01: 23:00 EDT on Oct 31 (03:00 UTC) waits until 08:00 EST (13:00 UTC).
    expect(quietUntil(new Date('2026-11-01T03:00:00Z'), 'America/New_York', NIGHT)?.toISOString()).toBe('2026-11-01T13:00:00.000Z');
  });
});
