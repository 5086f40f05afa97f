import type { MikroORM } from '@mikro-orm/postgresql';
import { KitInvalidInputError, KitInvalidOptionsError } from '../errors.ts';
import { runStatement, type Statement } from '../mikro-orm/run-statement.ts';
import { type Duration, toOptionSeconds } from '../util/duration.ts';
import { type DpopReplayCache, validateDpopReplayEntry } from './replay-cache.ts';

// One atomic statement per proof. A new key is inserted; a key whose row has expired (not purged
// yet) takes the row over; a key with a live row changes nothing and returns no row. Concurrent
// callers with one key serialise on the row (INSERT ... ON CONFLICT takes its lock, and the
// WHERE of DO UPDATE reads the committed row), so exactly one of them gets a row back. Plain
// `ON CONFLICT DO NOTHING` would report an expired, unpurged row as a replay.
// $1 key, $2 expiry (ms), $3 the caller's now (ms).
const REMEMBER_SQL = `insert into kit_dpop_replays as r (key, expires_at) values ($1, $2)
  on conflict (key) do update set expires_at = excluded.expires_at
    where r.expires_at <= $3
  returning 1 as remembered`;

// Bounded: one purge deletes at most a batch of rows. The batch is chosen without row locks (Citus,
// where `kit_dpop_replays` is distributed by key, runs no `FOR UPDATE` across shards: it takes the
// chosen keys as an intermediate result and each shard deletes its rows of them), so the delete
// checks the expiry again on the row it locks: a key taken over by a new proof between the two
// (REMEMBER_SQL's update) is live again and is kept, as PostgreSQL re-reads an updated row
// before deleting it.
// $1 purge rows expired before this (ms), $2 batch size.
const PURGE_SQL = `delete from kit_dpop_replays where expires_at < $1 and key in (
    select key from kit_dpop_replays where expires_at < $1 limit $2)`;

const PURGE_BATCH = 5000;

/**
 * How long rows are kept past their expiry before the automatic purge deletes them: instances
 * whose clocks disagree by less than this never see a live row vanish.
 */
const PURGE_MARGIN_MS = 60_000;

/**
 * Options of {@link createMikroOrmDpopReplayCache}.
 */
export interface MikroOrmDpopReplayCacheOptions {
  /** A MikroORM (PostgreSQL driver) instance on a database migrated with `migrate(orm)`. */
  orm: MikroORM;
  /**
   * How often this instance deletes expired rows, at most: the purge runs after a `remember`
   * call once this long has passed since the last one (by the callers' clock), without delaying
   * that call, and deletes at most 5,000 rows a statement (the next call continues when there
   * were more). Rows are kept a minute past their expiry, so instances whose clocks are less than
   * a minute apart agree. `0` turns the automatic purge off: call `purge` yourself.
   * @default '1m'
   */
  purgeInterval?: Duration;
}

/**
 * A {@link DpopReplayCache} in PostgreSQL, with a purge of expired rows.
 */
export interface MikroOrmDpopReplayCache extends DpopReplayCache {
  /**
   * Deletes up to `limit` rows whose entries expired before `before` (ms since the epoch) and
   * resolves to how many it deleted.
   */
  purge(before: number, limit?: number): Promise<number>;
}

/**
 * A {@link DpopReplayCache} in PostgreSQL (table `kit_dpop_replays`, created by the kit's
 * migrations), shared by every instance on the database: a proof accepted by one instance is a
 * replay for all of them. Each `remember` is a single `INSERT ... ON CONFLICT ... RETURNING`
 * statement: atomic, one round trip, no transaction held open. Expired rows are purged by the
 * instances themselves (`purgeInterval`). Driver errors become `ERR_STORE_UNAVAILABLE` or
 * `ERR_STORE_FAILURE`, and the proof is then refused.
 *
 * Exported by `@kit/core/mikro-orm`.
 *
 * @example
 * ```ts
 * import { createDpopProofVerifier } from '@kit/core';
 * import { createKitOrm, createMikroOrmDpopReplayCache, migrate } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * await migrate(orm);
 * const dpop = createDpopProofVerifier({ replayCache: createMikroOrmDpopReplayCache({ orm }) });
 * ```
 */
export function createMikroOrmDpopReplayCache(
  options: MikroOrmDpopReplayCacheOptions,
): MikroOrmDpopReplayCache {
  const orm = options?.orm;
  if (!orm || typeof orm.em?.getConnection !== 'function') {
    throw new KitInvalidOptionsError(
      'createMikroOrmDpopReplayCache needs { orm }: a MikroORM instance using the PostgreSQL driver.',
    );
  }
  const intervalMs =
    toOptionSeconds(options.purgeInterval, 'purgeInterval', '1m', { allowZero: true }) * 1000;
  const query = (operation: string, statement: Statement) => runStatement(orm, operation, statement);

  async function purge(before: number, limit = PURGE_BATCH): Promise<number> {
    if (!Number.isFinite(before)) throw new KitInvalidInputError('`before` must be a time in milliseconds.');
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new KitInvalidInputError('`limit` must be a whole number above 0.');
    }
    const result = await query('DPoP replay purge', { text: PURGE_SQL, values: [Math.floor(before), limit] });
    return result.rowCount ?? 0;
  }

  // The automatic purge: one at a time per instance, never awaited by the call that starts it.
  let lastPurge = Number.NEGATIVE_INFINITY;
  let purging = false;
  function maybePurge(now: number): void {
    if (intervalMs === 0 || purging || now - lastPurge < intervalMs) return;
    purging = true;
    lastPurge = now;
    purge(now - PURGE_MARGIN_MS).then(
      (deleted) => {
        purging = false;
        // A full batch: more rows are waiting, so the next call purges again.
        if (deleted >= PURGE_BATCH) lastPurge = Number.NEGATIVE_INFINITY;
      },
      () => {
        // The next interval tries again; the `remember` calls report outages themselves.
        purging = false;
      },
    );
  }

  return {
    scope: 'shared',
    async remember(key, { expiresAt, now }) {
      validateDpopReplayEntry(key, { expiresAt, now });
      const result = await query('DPoP replay check', {
        text: REMEMBER_SQL,
        values: [key, expiresAt, now],
      });
      maybePurge(now);
      return result.rows.length === 1;
    },
    purge,
  };
}
