import { hash, verify } from '@node-rs/argon2';

// Argon2id with OWASP's recommended floor (19 MiB, 2 passes): memory-hard, so GPU guessing stays expensive.
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export const hashPassword = (password: string): Promise<string> => hash(password, OPTIONS);

/** A known hash to verify against when the user does not exist, so timing does not reveal which emails exist. */
let decoyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  const target = passwordHash ?? (await (decoyHash ??= hashPassword('decoy-password-never-matches')));
  const ok = await verify(target, password).catch(() => false);
  return ok && passwordHash !== null;
}
