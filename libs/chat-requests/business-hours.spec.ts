import { DateTime } from 'luxon';
import type { BusinessHours } from '../organizations/organization.entity.js';
import { addBusinessMinutes, isTimeOfDay } from './business-hours.js';

const NEW_YORK = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const weekdays = (timezone: string, start = '08:00', end = '17:00'): BusinessHours => ({ timezone, days: [1, 2, 3, 4, 5], start, end });

/** A local wall-clock time in `zone`, e.g. at('2026-12-04T16:30', NEW_YORK). */
const at = (local: string, zone: string) => DateTime.fromISO(local, { zone }).toJSDate();
/** The answer as wall-clock time with its offset in `zone`, so a test shows both the day and the daylight-saving offset. */
const inZone = (date: Date, zone: string) => DateTime.fromJSDate(date, { zone }).toISO({ suppressMilliseconds: true });

// December 2026: Monday 30 Nov, Friday 4 Dec, Saturday 5 Dec, Monday 7 Dec.
describe('addBusinessMinutes', () => {
  test('without business hours the minutes are plain minutes', () => {
    const start = new Date('2026-12-05T23:30:00Z');
    expect(addBusinessMinutes(start, 60, null)).toEqual(new Date('2026-12-06T00:30:00Z'));
    expect(addBusinessMinutes(start, 0, null)).toEqual(start);
  });

  test('Friday 16:30 with 60 minutes and 08:00–17:00 Monday to Friday is Monday 08:30 in that zone', () => {
    expect(inZone(addBusinessMinutes(at('2026-12-04T16:30', NEW_YORK), 60, weekdays(NEW_YORK)), NEW_YORK)).toBe('2026-12-07T08:30:00-05:00');
    expect(inZone(addBusinessMinutes(at('2026-12-04T16:30', BERLIN), 60, weekdays(BERLIN)), BERLIN)).toBe('2026-12-07T08:30:00+01:00');
  });

  test('minutes inside one window are plain minutes', () => {
    expect(inZone(addBusinessMinutes(at('2026-12-02T09:15', BERLIN), 45, weekdays(BERLIN)), BERLIN)).toBe('2026-12-02T10:00:00+01:00');
  });

  test("exactly reaching a window's end stops there, not at the next window's start", () => {
    expect(inZone(addBusinessMinutes(at('2026-12-04T16:00', NEW_YORK), 60, weekdays(NEW_YORK)), NEW_YORK)).toBe('2026-12-04T17:00:00-05:00');
    expect(inZone(addBusinessMinutes(at('2026-12-04T16:00', NEW_YORK), 61, weekdays(NEW_YORK)), NEW_YORK)).toBe('2026-12-07T08:01:00-05:00');
  });

  test('a request on Saturday starts counting on Monday at 08:00', () => {
    expect(inZone(addBusinessMinutes(at('2026-12-05T11:00', NEW_YORK), 60, weekdays(NEW_YORK)), NEW_YORK)).toBe('2026-12-07T09:00:00-05:00');
  });

  test('before the day opens, counting starts when it opens; after it closes, on the next working day', () => {
    expect(inZone(addBusinessMinutes(at('2026-12-01T06:00', BERLIN), 30, weekdays(BERLIN)), BERLIN)).toBe('2026-12-01T08:30:00+01:00');
    expect(inZone(addBusinessMinutes(at('2026-12-01T19:00', BERLIN), 30, weekdays(BERLIN)), BERLIN)).toBe('2026-12-02T08:30:00+01:00');
  });

  test('days off between working days are skipped', () => {
    const mondaysAndWednesdays: BusinessHours = { timezone: BERLIN, days: [3, 1], start: '09:00', end: '12:30' };
    expect(inZone(addBusinessMinutes(at('2026-11-30T12:00', BERLIN), 60, mondaysAndWednesdays), BERLIN)).toBe('2026-12-02T09:30:00+01:00');
  });

  test('a span of several days uses up each window in turn', () => {
    // Monday 09:00: 480 minutes on Monday, 540 on Tuesday and on Wednesday, the last 90 on Thursday.
    expect(inZone(addBusinessMinutes(at('2026-11-30T09:00', BERLIN), 1650, weekdays(BERLIN)), BERLIN)).toBe('2026-12-03T09:30:00+01:00');
    // A whole working week of 5 × 540 minutes from Monday's opening ends on Friday at closing; one minute more is the next Monday.
    expect(inZone(addBusinessMinutes(at('2026-12-07T08:00', BERLIN), 2700, weekdays(BERLIN)), BERLIN)).toBe('2026-12-11T17:00:00+01:00');
    expect(inZone(addBusinessMinutes(at('2026-12-07T08:00', BERLIN), 2701, weekdays(BERLIN)), BERLIN)).toBe('2026-12-14T08:01:00+01:00');
    // 43 200 minutes (the settings' maximum) is 80 working days of 540: from a Saturday, the sixteenth Friday at closing.
    expect(inZone(addBusinessMinutes(at('2026-12-05T10:00', BERLIN), 43_200, weekdays(BERLIN)), BERLIN)).toBe('2027-03-26T17:00:00+01:00');
  });

  test('seconds of the start are kept', () => {
    expect(inZone(addBusinessMinutes(at('2026-12-04T16:30:30', NEW_YORK), 60, weekdays(NEW_YORK)), NEW_YORK)).toBe('2026-12-07T08:30:30-05:00');
  });

  describe('daylight-saving changes in America/New_York (2026: clocks go forward on 8 March, back on 1 November)', () => {
    test('over the spring weekend, Monday 08:30 is in daylight time', () => {
      const due = addBusinessMinutes(at('2026-03-06T16:30', NEW_YORK), 60, weekdays(NEW_YORK));
      expect(inZone(due, NEW_YORK)).toBe('2026-03-09T08:30:00-04:00');
      expect(due.toISOString()).toBe('2026-03-09T12:30:00.000Z');
    });

    test('over the autumn weekend, Monday 08:30 is in standard time', () => {
      const due = addBusinessMinutes(at('2026-10-30T16:30', NEW_YORK), 60, weekdays(NEW_YORK));
      expect(inZone(due, NEW_YORK)).toBe('2026-11-02T08:30:00-05:00');
      expect(due.toISOString()).toBe('2026-11-02T13:30:00.000Z');
    });

    test('a window on the day of the change opens at its local time', () => {
      const sundays: BusinessHours = { timezone: NEW_YORK, days: [7], start: '08:00', end: '17:00' };
      expect(inZone(addBusinessMinutes(at('2026-03-07T12:00', NEW_YORK), 30, sundays), NEW_YORK)).toBe('2026-03-08T08:30:00-04:00');
      expect(inZone(addBusinessMinutes(at('2026-10-31T12:00', NEW_YORK), 30, sundays), NEW_YORK)).toBe('2026-11-01T08:30:00-05:00');
    });

    test('a window spanning the change counts elapsed minutes: the skipped hour is not worked, the repeated one is', () => {
      const allDay: BusinessHours = { timezone: NEW_YORK, days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' };
      expect(inZone(addBusinessMinutes(at('2026-03-08T01:30', NEW_YORK), 60, allDay), NEW_YORK)).toBe('2026-03-08T03:30:00-04:00');
      expect(inZone(addBusinessMinutes(at('2026-11-01T00:30', NEW_YORK), 120, allDay), NEW_YORK)).toBe('2026-11-01T01:30:00-05:00');
    });
  });

  describe('0 minutes', () => {
    test('inside a window is the start itself', () => {
      const start = at('2026-12-02T10:00', BERLIN);
      expect(addBusinessMinutes(start, 0, weekdays(BERLIN))).toEqual(start);
    });

    test("outside the windows is the next window's start (a window's end is outside it)", () => {
      expect(inZone(addBusinessMinutes(at('2026-12-05T10:00', BERLIN), 0, weekdays(BERLIN)), BERLIN)).toBe('2026-12-07T08:00:00+01:00');
      expect(inZone(addBusinessMinutes(at('2026-12-04T17:00', BERLIN), 0, weekdays(BERLIN)), BERLIN)).toBe('2026-12-07T08:00:00+01:00');
      expect(inZone(addBusinessMinutes(at('2026-12-02T07:59', BERLIN), 0, weekdays(BERLIN)), BERLIN)).toBe('2026-12-02T08:00:00+01:00');
    });
  });

  describe('hours that can never count are refused rather than looped over', () => {
    const start = at('2026-12-02T10:00', BERLIN);
    test.each([
      ['no working day', { ...weekdays(BERLIN), days: [] }],
      ['only weekdays that do not exist', { ...weekdays(BERLIN), days: [0, 8, 1.5] }],
      ['an end before the start', weekdays(BERLIN, '17:00', '08:00')],
      ['an end equal to the start', weekdays(BERLIN, '09:00', '09:00')],
      ['a time that is not HH:MM', weekdays(BERLIN, '8:00', '17:00')],
      ['an unknown time zone', weekdays('Mars/Olympus_Mons')],
    ])('%s', (_, hours) => {
      expect(() => addBusinessMinutes(start, 60, hours)).toThrow(RangeError);
    });

    test('negative or non-finite minutes', () => {
      for (const minutes of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => addBusinessMinutes(start, minutes, weekdays(BERLIN))).toThrow(RangeError);
        expect(() => addBusinessMinutes(start, minutes, null)).toThrow(RangeError);
      }
    });
  });
});

describe('isTimeOfDay', () => {
  test.each(['00:00', '08:30', '23:59'])('%s is HH:MM', (value) => expect(isTimeOfDay(value)).toBe(true));
  test.each(['24:00', '8:30', '08:60', '08:30:00', ' 08:30', ''])('%j is not', (value) => expect(isTimeOfDay(value)).toBe(false));
});
