import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** Checks a username and password; the kit never sees passwords, only the user id afterwards. */
export type CheckPassword = (username: string, password: string) => Promise<{ id: string } | undefined>;

/**
 * The example's user directory: one user, `alice` / `alice-password`, kept as a scrypt hash.
 * Replace it with your own (a users table, OAuth, a magic link...).
 */
export async function createCheckPassword(): Promise<CheckPassword> {
  const salt = randomBytes(16);
  const users = new Map([
    ['alice', { id: 'user_alice', hash: await scryptAsync('alice-password', salt, 32) }],
  ]);
  // Unknown usernames are hashed too, so they take as long to refuse as wrong passwords.
  const nobody = { id: '', hash: randomBytes(32) };
  return async (username, password) => {
    const user = users.get(username) ?? nobody;
    const hash = await scryptAsync(password, salt, 32);
    return timingSafeEqual(hash, user.hash) && user !== nobody ? { id: user.id } : undefined;
  };
}
