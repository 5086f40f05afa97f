import type { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase, type TestDatabase } from '../../../test/database.ts';
import {
  type AuthKit,
  type AuthKitOptions,
  createAuthKit,
  generateSigningKeys,
  type PrivateJwks,
} from '../src/index.ts';
import { createKitOrm, createMikroOrmStore, migrate } from '../src/mikro-orm/index.ts';

/** A frozen, manually advanced clock. */
export interface FakeClock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function createFakeClock(start = Date.UTC(2030, 0, 1, 12)): FakeClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

let keysPromise: Promise<PrivateJwks> | undefined;
/** One ES256 key set shared by a test file (key generation is the slow part). */
export function testKeys(): Promise<PrivateJwks> {
  keysPromise ??= generateSigningKeys();
  return keysPromise;
}

export interface KitFixture {
  db: TestDatabase;
  orm: MikroORM;
  clock: FakeClock;
  kit: AuthKit;
  makeKit(overrides?: Partial<AuthKitOptions>): Promise<AuthKit>;
  close(): Promise<void>;
}

/** A migrated database of its own, an ORM on it and a kit with a fake clock. */
export async function createKitFixture(overrides: Partial<AuthKitOptions> = {}): Promise<KitFixture> {
  const db = await createTestDatabase();
  const orm = await createKitOrm({ databaseUrl: db.url, poolSize: 20 });
  await migrate(orm);
  const clock = createFakeClock();
  const store = createMikroOrmStore({ orm });
  const signingKeys = await testKeys();
  const makeKit = (more: Partial<AuthKitOptions> = {}) =>
    createAuthKit({
      issuer: 'https://auth.test',
      audience: 'https://api.test',
      secret: TEST_SECRET,
      signingKeys,
      store,
      clock: clock.now,
      ...overrides,
      ...more,
    });
  const kit = await makeKit();
  return {
    db,
    orm,
    clock,
    kit,
    makeKit,
    async close() {
      await orm.close();
      await db.drop();
    },
  };
}
