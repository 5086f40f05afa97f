import { afterAll, beforeAll, describe } from 'vitest';
import type { RateLimitStore } from '../store/rate-limit-store.ts';
import { rateLimitCases } from './rate-limit-store-cases.ts';

/**
 * What {@link describeRateLimitStoreConformance} needs: a store, optionally a second store on the
 * same backend (another application instance: its own client or pool), and how to dispose of them.
 */
export interface RateLimitStoreFixture {
  store: RateLimitStore;
  /**
   * A second store sharing the first one's counters (a second connection, as another instance
   * would have). Stores that live in one process's memory leave it out.
   * @default store
   */
  peer?: RateLimitStore;
  cleanup?: () => Promise<void>;
}

/**
 * The conformance suite every {@link RateLimitStore} must pass: the counting and the atomicity
 * contract written on the interface, against the real backend (concurrent hits through two
 * connections included). Keys start with a random prefix, so runs never see each other's counters
 * on a backend that outlives them. Call it at the top level of a vitest test file.
 *
 * Needs `vitest`.
 *
 * @example
 * ```ts
 * import { describeRateLimitStoreConformance } from '@kit/core/testing';
 * import { createKitOrm, createMikroOrmRateLimitStore, migrate } from '@kit/core/mikro-orm';
 *
 * describeRateLimitStoreConformance('PostgreSQL', async () => {
 *   const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 *   await migrate(orm);
 *   return { store: createMikroOrmRateLimitStore({ orm }), cleanup: () => orm.close() };
 * });
 * ```
 */
export function describeRateLimitStoreConformance(
  name: string,
  createFixture: () => Promise<RateLimitStoreFixture>,
): void {
  describe(`RateLimitStore conformance: ${name}`, () => {
    let fixture: RateLimitStoreFixture;
    let stores: { a: RateLimitStore; b: RateLimitStore };
    const run = `conformance-${crypto.randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      fixture = await createFixture();
      stores = { a: fixture.store, b: fixture.peer ?? fixture.store };
    });
    afterAll(async () => {
      await fixture?.cleanup?.();
    });

    rateLimitCases({ stores: () => stores, key: (k) => `${run}:${k}` });
  });
}
