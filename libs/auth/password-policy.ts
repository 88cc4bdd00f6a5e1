import * as fs from 'node:fs';
import * as path from 'node:path';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * The 10,000 most common passwords: the top of the ranked list zxcvbn 4.4.2 ships (MIT; from Xato's corpus of
 * 10 million leaked passwords), one per line in common-passwords.txt, copied beside the compiled code by the build.
 * Read on first use, compared in lower case.
 */
let common: Set<string> | undefined;
const commonPasswords = (): Set<string> =>
  (common ??= new Set(
    fs
      .readFileSync(path.join(__dirname, 'common-passwords.txt'), 'utf8')
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter(Boolean),
  ));

/** Why `password` may not be used, in words for its owner; null when it may. NIST SP 800-63B: length and a blocklist, no composition rules. */
export function passwordWeakness(password: string, owner: { email: string }): string | null {
  if (typeof password !== 'string') return 'must be a string';
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters long`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters long`;
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return 'is one of the 10,000 most common passwords; choose one nobody else would';
  if (lower === owner.email.toLowerCase() || lower === owner.email.split('@')[0].toLowerCase()) return 'must not be your email address';
  if (/^(.)\1+$/.test(password)) return 'must not be one character repeated';
  return null;
}
