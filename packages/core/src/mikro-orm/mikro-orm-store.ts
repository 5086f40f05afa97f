import type { MikroORM } from '@mikro-orm/postgresql';
import { KitInvalidOptionsError } from '../errors.ts';
import type { SessionStore } from '../store/session-store.ts';
import { type Duration, toOptionSeconds } from '../util/duration.ts';
import { runStatement } from './run-statement.ts';
import { KitSession } from './session-entity.ts';
import { tableLayout } from './session-store/citus-layout.ts';
import { sessionReads } from './session-store/reads.ts';
import { sessionRevocations } from './session-store/revocation.ts';
import { sessionRotations } from './session-store/rotation.ts';
import type { Write } from './session-store/session-rows.ts';
import { sessionUpkeep } from './session-store/upkeep.ts';

/**
 * Options of {@link createMikroOrmStore}.
 */
export interface MikroOrmStoreOptions {
  /**
   * A MikroORM (PostgreSQL driver) instance whose entities include {@link KitSession}, such as
   * the one {@link createKitOrm} returns or the host's own. Give the host's own a statement
   * timeout, as `createKitOrm` does: grouped rotations wait for a statement in flight, so one
   * session row locked forever elsewhere would hold every refresh behind it.
   */
  orm: MikroORM;
  /**
   * Most rotations sent to PostgreSQL in one statement. The rotations of one turn of the event
   * loop leave together at its end, and while two rotation statements are running, further
   * refreshes wait and leave together in the next one: one round trip and one commit for many
   * sessions, each still its own compare-and-set. A quiet server sends each rotation alone, at the
   * end of the turn it arrived in. `1` sends every rotation alone, at once.
   *
   * On Citus (`kit_sessions` distributed) grouping is off unless set here: the sessions of one
   * group live on different shards, so the grouped statement would run on every shard as a
   * distributed transaction, where a single rotation is routed to one shard and commits there.
   *
   * @default 64, or 1 when `kit_sessions` is distributed
   */
  rotationBatchSize?: number;
  /**
   * Whether `kit_sessions` is a distributed table (Citus, distributed by `id`, see
   * `distributeKitTables`). The store then keeps every rotation to one shard and revokes a user's
   * sessions with a statement Citus runs (it cannot lock rows across shards with `FOR UPDATE`).
   * Set it only to override what the store finds.
   *
   * @default read from Citus's catalogue (`pg_dist_partition`) before the store's first write
   */
  distributed?: boolean;
  /**
   * How long a purge may hold the purge lock without a sign of life (between two of its batches)
   * before PostgreSQL ends its lock transaction, so a holder that hangs cannot block the purges of
   * other instances for longer. A holder that crashes loses the lock at once.
   *
   * @default '60s'
   */
  purgeLockTimeout?: Duration;
}

/**
 * The default {@link SessionStore}: PostgreSQL through MikroORM 6. Lists and counts go through the
 * EntityManager; reading one session and every write are one SQL statement with bound parameters
 * on a connection of the ORM's pool (the rotation is a single compare-and-set `UPDATE`, a HOT
 * update of one row).
 * Driver errors become `ERR_STORE_UNAVAILABLE` or `ERR_STORE_FAILURE`, with bound values stripped.
 *
 * @example
 * ```ts
 * import { createAuthKit } from '@kit/core';
 * import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * await migrate(orm);
 * const kit = await createAuthKit({ ...options, store: createMikroOrmStore({ orm }) });
 * ```
 */
export function createMikroOrmStore(options: MikroOrmStoreOptions): SessionStore {
  const orm = options?.orm;
  if (!orm || typeof orm.em?.getConnection !== 'function') {
    throw new KitInvalidOptionsError(
      'createMikroOrmStore needs { orm }: a MikroORM instance using the PostgreSQL driver.',
    );
  }
  if (!orm.getMetadata().has(KitSession.meta.className)) {
    throw new KitInvalidOptionsError(
      'The MikroORM instance does not know the KitSession entity: add KitSession (from @kit/core/mikro-orm) to `entities`.',
    );
  }

  const chosenBatchSize = options.rotationBatchSize;
  if (
    chosenBatchSize !== undefined &&
    (!Number.isInteger(chosenBatchSize) || chosenBatchSize < 1 || chosenBatchSize > 1000)
  ) {
    throw new KitInvalidOptionsError('`rotationBatchSize` must be a whole number from 1 to 1000.');
  }
  if (options.distributed !== undefined && typeof options.distributed !== 'boolean') {
    throw new KitInvalidOptionsError('`distributed` must be true or false (or left out to detect it).');
  }

  const purgeLockMs = toOptionSeconds(options.purgeLockTimeout, 'purgeLockTimeout', '60s') * 1000;

  const write: Write = (operation, statement) => runStatement(orm, operation, statement);
  const layout = tableLayout(orm, 'kit_sessions', options.distributed);
  return {
    ...sessionUpkeep(orm, write, purgeLockMs),
    ...sessionRotations(write, layout, chosenBatchSize),
    ...sessionReads(orm, write),
    ...sessionRevocations(write, layout),
  };
}
