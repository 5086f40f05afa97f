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
