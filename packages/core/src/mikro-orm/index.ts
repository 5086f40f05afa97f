/**
 * `@kit/core/mikro-orm`: the kit on PostgreSQL through MikroORM 6 (Node only). A MikroORM instance
 * for the kit alone, its migrations, the session store (rotation as one compare-and-set
 * statement, concurrent ones grouped), the database key store, the rate-limit store and the DPoP
 * replay cache.
 *
 * @example
 * ```ts
 * import { createAuthKit } from '@kit/core';
 * import { createKitOrm, createMikroOrmKeyStore, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * await migrate(orm);
 * const kit = await createAuthKit({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   secret: process.env.KIT_SECRET!,
 *   keyStore: createMikroOrmKeyStore({ orm }),
 *   store: createMikroOrmStore({ orm }),
 * });
 * ```
 *
 * @packageDocumentation
 */
export {
  createMikroOrmDpopReplayCache,
  type MikroOrmDpopReplayCache,
  type MikroOrmDpopReplayCacheOptions,
} from '../dpop/create-mikro-orm-dpop-replay-cache.ts';
export {
  type DistributeKitTablesOptions,
  type DistributeKitTablesResult,
  distributeKitTables,
} from './citus.ts';
export { createKitOrm, type KitOrmOptions } from './create-kit-orm.ts';
export {
  createMikroOrmRateLimitStore,
  type MikroOrmRateLimitStoreOptions,
} from './create-mikro-orm-rate-limit-store.ts';
export { migrate, pendingMigrations } from './migrate.ts';
export { kitMigrations } from './migrations/index.ts';
export { KitMigration } from './migrations/migration.ts';
export { createMikroOrmKeyStore, type MikroOrmKeyStoreOptions } from './mikro-orm-key-store.ts';
export { createMikroOrmStore, type MikroOrmStoreOptions } from './mikro-orm-store.ts';
export { KitSession, type KitSessionEntity } from './session-entity.ts';
export { KitSigningKey, type KitSigningKeyEntity } from './signing-key-entity.ts';
