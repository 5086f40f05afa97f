import {
  type AuthKit,
  type AuthKitOptions,
  createAuthKit,
  createMemorySessionStore,
  type SessionStore,
} from '@kit/core';
import { createFakeClock, type FakeClock } from './fake-clock.ts';
import { testKitOptions } from './test-kit-options.ts';
import { useFixture } from './use-fixture.ts';

/** A kit on a session store of its own, with what the test needs to drive it. */
export interface MemoryKitFixture {
  /** The store of `kit`, and of every kit `makeKit` makes unless told otherwise. */
  store: SessionStore;
  clock: FakeClock;
  kit: AuthKit;
  makeKit(overrides?: Partial<AuthKitOptions>): Promise<AuthKit>;
  close(): Promise<void>;
}

/**
 * A kit on an in-memory session store of its own (`createMemorySessionStore`), with a fake clock
 * deciding expiry: no database. The kit's logic tests use it.
 *
 * `KIT_TEST_STORE=postgresql` runs the same tests on the MikroORM store instead, on a migrated
 * database of their own (see `./kit-fixture`): CI does so once, as a cross-check of the two stores
 * under the kit, and `pnpm test:citus` to run them on Citus.
 */
export async function createMemoryKitFixture(
  overrides: Partial<AuthKitOptions> = {},
): Promise<MemoryKitFixture> {
  const chosen = process.env.KIT_TEST_STORE || 'memory';
  if (chosen === 'postgresql') {
    const { createKitFixture } = await import('./kit-fixture.ts');
    return createKitFixture(overrides);
  }
  if (chosen !== 'memory') {
    throw new Error(
      `KIT_TEST_STORE must be memory (the default) or postgresql, not ${JSON.stringify(chosen)}.`,
    );
  }
  const store = createMemorySessionStore();
  const clock = createFakeClock();
  const base = await testKitOptions(store, clock);
  const kits: AuthKit[] = [];
  const makeKit = async (more: Partial<AuthKitOptions> = {}) => {
    const kit = await createAuthKit({ ...base, ...overrides, ...more });
    kits.push(kit);
    return kit;
  };
  const kit = await makeKit();
  return {
    store,
    clock,
    kit,
    makeKit,
    async close() {
      for (const made of kits) await made.close();
    },
  };
}

/**
 * {@link createMemoryKitFixture} for the describe block (or file) that calls it: the fixture is
 * made in a `beforeAll` and closed in an `afterAll` of that block. The object returned stands for
 * it from then on (see `useFixture`).
 *
 * @example
 * ```ts
 * describe('rotation', () => {
 *   const f = useMemoryKitFixture({ reuseGrace: 0 });
 *   it('...', async () => {
 *     await f.kit.createSession({ userId: 'alice' });
 *   });
 * });
 * ```
 */
export function useMemoryKitFixture(
  overrides: Partial<AuthKitOptions> = {},
): Omit<MemoryKitFixture, 'close'> {
  return useFixture(() => createMemoryKitFixture(overrides));
}
