import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

interface StoredUser {
  id: string;
  username: string;
  salt: Buffer;
  hash: Buffer;
}

/** The demo's user directory: seeded users, passwords kept only as scrypt hashes. */
export interface Users {
  /** The user id for correct credentials, otherwise `undefined`; takes the same time either way. */
  authenticate(username: string, password: string): Promise<string | undefined>;
}

const SEED = [
  { id: 'user_alice', username: 'alice', password: 'alice-password' },
  { id: 'user_bob', username: 'bob', password: 'bob-password' },
];

export async function createUsers(): Promise<Users> {
  const users = new Map<string, StoredUser>();
  for (const seed of SEED) {
    const salt = randomBytes(16);
    users.set(seed.username, {
      id: seed.id,
      username: seed.username,
      salt,
      hash: await scryptAsync(seed.password, salt, 32),
    });
  }
  // Unknown usernames are checked against a dummy hash so they take as long as wrong passwords.
  const dummy = { id: '', username: '', salt: randomBytes(16), hash: randomBytes(32) };
  return {
    async authenticate(username, password) {
      const user = users.get(username) ?? dummy;
      const hash = await scryptAsync(password, user.salt, 32);
      return timingSafeEqual(hash, user.hash) && user !== dummy ? user.id : undefined;
    },
  };
}
