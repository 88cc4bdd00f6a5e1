import { createHash, randomBytes } from 'node:crypto';

/** A bearer secret of 256 random bits, URL-safe: refresh tokens and password-reset tokens. */
export const newSecretToken = (): string => randomBytes(32).toString('base64url');

/** What the database keeps of a token: its SHA-256. A stolen table yields nothing usable (the tokens are random, not guessable). */
export const hashOfToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
