import { isValidTimezone } from './time-zones.js';

describe('isValidTimezone', () => {
  test.each(['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'UTC'])('%s is a zone', (zone) => {
    expect(isValidTimezone(zone)).toBe(true);
  });

  test.each(['Mars/Olympus_Mons', '', 'New York', '+02:00', '-0500'])('%j is not', (zone) => {
    expect(isValidTimezone(zone)).toBe(false);
  });
});
