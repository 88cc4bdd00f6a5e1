import { IANAZone } from 'luxon';

/**
 * Whether luxon (and so the ICU data of this Node) knows the IANA zone, e.g. "Europe/Berlin". Offsets such as
 * "+02:00", which Intl also takes, are refused: they are no IANA names and keep no daylight-saving rules.
 */
export function isValidTimezone(zone: string): boolean {
  return typeof zone === 'string' && /^[A-Za-z]/.test(zone) && IANAZone.isValidZone(zone);
}
