import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * The MikroORM entity of the `kit_sessions` table, defined without decorators. Add it to your ORM's
 * `entities` to read sessions with your own EntityManager; the kit's migrations (not
 * `updateSchema()`) create the table.
 *
 * @example
 * ```ts
 * import { MikroORM } from '@mikro-orm/postgresql';
 * import { KitSession } from '@kit/core/mikro-orm';
 *
 * const orm = await MikroORM.init({ clientUrl: process.env.DATABASE_URL, entities: [User, KitSession] });
 * const active = await orm.em.fork().count(KitSession, { userId: 'u1', revokedAt: null });
 * ```
 */
export const KitSession = defineEntity({
  name: 'KitSession',
  tableName: 'kit_sessions',
  indexes: [{ name: 'kit_sessions_user_id_index', properties: ['userId'] }],
  properties: {
    id: p.uuid().primary(),
    userId: p.string().length(255),
    clientId: p.string().length(255),
    createdAt: p.datetime(),
    lastRefreshedAt: p.datetime(),
    idleExpiresAt: p.datetime(),
    absoluteExpiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
    revokedReason: p.string().length(64).nullable(),
    userAgent: p.string().length(512).nullable(),
    ip: p.string().length(64).nullable(),
    data: p.json<Record<string, unknown>>(),
    generation: p.integer(),
    // SHA-256 of the current refresh token's secret; hidden so it never appears in serialized output.
    secretHash: p.blob().hidden(),
    rotatedAt: p.datetime().nullable(),
    // RFC 7638 thumbprint of the DPoP key the session is bound to (migration 0006); null: Bearer.
    dpopJkt: p.text().nullable(),
  },
});

/**
 * An entity instance of {@link KitSession}.
 */
export type KitSessionEntity = InferEntity<typeof KitSession>;
