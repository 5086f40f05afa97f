import { afterAll, beforeAll, describe } from 'vitest';
import type { SessionStore } from '../store/session-store.ts';
import { administrationCases } from './session-store-administration-cases.ts';
import { rotationCases } from './session-store-rotation-cases.ts';

/**
 * What {@link describeSessionStoreConformance} needs: a fresh, migrated store, and how to dispose
 * of it.
 */
export interface StoreFixture {
  store: SessionStore;
  cleanup?: () => Promise<void>;
}

/**
 * The conformance suite every {@link SessionStore} must pass: the atomicity contract written on
 * the interface, checked against the real backend (including concurrent rotations). Call it at
 * the top level of a vitest test file.
 *
 * Needs `vitest`.
 *
 * @example
 * ```ts
 * import { describeSessionStoreConformance } from '@kit/core/testing';
 * import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
 *
 * describeSessionStoreConformance('MikroORM store', async () => {
 *   const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 *   await migrate(orm);
 *   return { store: createMikroOrmStore({ orm }), cleanup: () => orm.close() };
 * });
 * ```
 */
export function describeSessionStoreConformance(
  name: string,
  createFixture: () => Promise<StoreFixture>,
): void {
  describe(`SessionStore conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let store: SessionStore;

    beforeAll(async () => {
      fixture = await createFixture();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.cleanup?.();
    });

    rotationCases(() => store);
    administrationCases(() => store);
  });
}
