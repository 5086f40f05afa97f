import type { MikroORM } from '@mikro-orm/postgresql';
import { KitError, KitInvalidOptionsError } from '../errors.ts';
import type { SigningAlgorithm } from '../keys/algorithms.ts';
import type { SigningKeyStore, SigningKeyStoreTransaction, StoredSigningKey } from '../keys/key-store.ts';
import type { PublicJwk } from '../keys/signing-keys.ts';
import { toStoreError } from './errors.ts';
import { KitSigningKey, type KitSigningKeyEntity } from './signing-key-entity.ts';

/**
 * Options of {@link createMikroOrmKeyStore}.
 */
export interface MikroOrmKeyStoreOptions {
  /** A MikroORM instance (PostgreSQL driver) with `KitSigningKey` among its entities. */
  orm: MikroORM;
}

function fromEntity(row: KitSigningKeyEntity): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg as SigningAlgorithm,
    publicJwk: row.publicJwk as unknown as PublicJwk,
    encryptedKey: new Uint8Array(row.encryptedKey as Uint8Array),
    secretId: row.secretId,
    createdAt: row.createdAt,
    activatesAt: row.activatesAt,
  };
}

function fromRow(row: Record<string, unknown>): StoredSigningKey {
  const date = (v: unknown) => (v instanceof Date ? v : new Date(v as string));
  return {
    kid: row.kid as string,
    alg: row.alg as SigningAlgorithm,
    publicJwk: row.public_jwk as PublicJwk,
    encryptedKey: new Uint8Array(row.encrypted_key as Uint8Array),
    secretId: row.secret_id as string,
    createdAt: date(row.created_at),
    activatesAt: date(row.activates_at),
  };
}

/**
 * The database key store on PostgreSQL through MikroORM: the `kit_signing_keys` table created by
 * the kit's migrations. Pass it to `createAuthKit({ keyStore })` instead of `signingKeys`.
 *
 * `exclusive` runs in one transaction holding `pg_advisory_xact_lock(hashtext('kit_signing_keys'))`,
 * so instances starting together create exactly one first key, and two scheduled rotations never
 * both insert a key.
 *
 * @example
 * ```ts
 * import { createKitOrm, createMikroOrmKeyStore, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * await migrate(orm);
 * const kit = await createAuthKit({
 *   issuer, audience, secret: process.env.KIT_SECRET!,
 *   keyStore: createMikroOrmKeyStore({ orm }),
 *   store: createMikroOrmStore({ orm }),
 * });
 * ```
 */
export function createMikroOrmKeyStore(options: MikroOrmKeyStoreOptions): SigningKeyStore {
  const orm = options?.orm;
  if (!orm || typeof orm.em?.fork !== 'function') {
    throw new KitInvalidOptionsError(
      'createMikroOrmKeyStore needs `orm`: a MikroORM instance (createKitOrm).',
    );
  }
  return {
    async list() {
      try {
        const rows = await orm.em.fork().find(KitSigningKey, {}, { orderBy: { activatesAt: 'asc' } });
        return rows.map(fromEntity);
      } catch (error) {
        throw toStoreError(error, 'listSigningKeys');
      }
    },
    async exclusive(work) {
      const knex = orm.em.getConnection().getKnex();
      try {
        return await knex.transaction(async (trx) => {
          await trx.raw(`select pg_advisory_xact_lock(hashtext('kit_signing_keys'))`);
          const tx: SigningKeyStoreTransaction = {
            async list() {
              const result = (await trx.raw(
                'select kid, alg, public_jwk, encrypted_key, secret_id, created_at, activates_at from kit_signing_keys order by activates_at',
              )) as { rows: Record<string, unknown>[] };
              return result.rows.map(fromRow);
            },
            async insert(key) {
              await trx.raw(
                'insert into kit_signing_keys (kid, alg, public_jwk, encrypted_key, secret_id, created_at, activates_at) values (?, ?, ?::jsonb, ?, ?, ?, ?)',
                [
                  key.kid,
                  key.alg,
                  JSON.stringify(key.publicJwk),
                  Buffer.from(key.encryptedKey),
                  key.secretId,
                  key.createdAt,
                  key.activatesAt,
                ],
              );
            },
            async rewrap(kid, encryptedKey, secretId) {
              await trx.raw('update kit_signing_keys set encrypted_key = ?, secret_id = ? where kid = ?', [
                Buffer.from(encryptedKey),
                secretId,
                kid,
              ]);
            },
            async delete(kids) {
              if (kids.length > 0)
                await trx.raw('delete from kit_signing_keys where kid = any(?)', [[...kids]]);
            },
          };
          return work(tx);
        });
      } catch (error) {
        if (error instanceof KitError) throw error;
        throw toStoreError(error, 'signingKeys');
      }
    },
  };
}
