import { type AuthKit, type AuthKitOptions, createAuthKit, type SessionStore } from '@kit/core';
import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createFakeClock, type FakeClock } from './fake-clock.ts';
import { createTestDatabase, type TestDatabase } from './postgres/database.ts';
import { testKitOptions } from './test-kit-options.ts';
import { useFixture } from './use-fixture.ts';

/** A kit on a migrated database of its own, with what the test needs to drive it. */
export interface KitFixture {
  db: TestDatabase;
  orm: MikroORM;
  /** The MikroORM store of `kit` on `orm`. */
  store: SessionStore;
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
  const base = await testKitOptions(store, clock);
  const makeKit = (more: Partial<AuthKitOptions> = {}) => createAuthKit({ ...base, ...overrides, ...more });
  const kit = await makeKit();
  return {
    db,
    orm,
    store,
    clock,
    kit,
    makeKit,
    async close() {
      await orm.close();
      await db.drop();
    },
  };
}

/**
 * {@link createKitFixture} for the describe block (or file) that calls it: the fixture is made
 * in a `beforeAll` and closed (its ORM, then its database) in an `afterAll` of that block. The
 * object returned stands for it from then on (see `useFixture`).
 *
 * @example
 * ```ts
 * describe('the kit on PostgreSQL', () => {
 *   const f = useKitFixture();
 *   it('...', async () => {
 *     await f.kit.createSession({ userId: 'alice' });
 *   });
 * });
 * ```
 */
export function useKitFixture(overrides: Partial<AuthKitOptions> = {}): Omit<KitFixture, 'close'> {
  return useFixture(() => createKitFixture(overrides));
}
