export { type KitOrmOptions, createKitOrm } from './create-kit-orm.ts';
export { createMikroOrmStore, type MikroOrmStoreOptions } from './mikro-orm-store.ts';
export { migrate, pendingMigrations } from './migrate.ts';
export { KitMigration } from './migrations/migration.ts';
export { kitMigrations } from './migrations/index.ts';
export { KitSession, type KitSessionEntity } from './session-entity.ts';
