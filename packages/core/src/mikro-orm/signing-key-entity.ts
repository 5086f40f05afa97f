import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * The MikroORM entity of `kit_signing_keys`, the database key store, defined without decorators.
 * `encryptedKey` holds the private JWK encrypted under a key derived from `KIT_SECRET` and is
 * hidden from serialization; the kit's migrations (not `updateSchema()`) create the table.
 *
 * @example
 * ```ts
 * import { KitSigningKey } from '@kit/core/mikro-orm';
 *
 * const kids = (await orm.em.fork().find(KitSigningKey, {})).map((row) => row.kid);
 * ```
 */
export const KitSigningKey = defineEntity({
  name: 'KitSigningKey',
  tableName: 'kit_signing_keys',
  properties: {
    kid: p.string().length(128).primary(),
    alg: p.string().length(16),
    publicJwk: p.json<Record<string, unknown>>(),
    encryptedKey: p.blob().hidden(),
    secretId: p.string().length(64),
    createdAt: p.datetime(),
    activatesAt: p.datetime(),
  },
});

/**
 * An entity instance of {@link KitSigningKey}.
 */
export type KitSigningKeyEntity = InferEntity<typeof KitSigningKey>;
