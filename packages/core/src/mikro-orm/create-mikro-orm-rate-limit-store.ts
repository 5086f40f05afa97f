import type { MikroORM } from '@mikro-orm/postgresql';
import { KitInvalidInputError, KitInvalidOptionsError } from '../errors.ts';
import type { RateLimitHit, RateLimitStore } from '../store/rate-limit-store.ts';
import { validateRateLimitHit } from '../store/validate-rate-limit-hit.ts';
import { toStoreError } from './errors.ts';
import { runStatement, type Statement } from './run-statement.ts';

// One atomic statement per hit. INSERT ... ON CONFLICT takes the row lock, and every expression of
// the DO UPDATE reads the committed row (`r`), so concurrent hits from any number of instances
// serialise on the row and each sees the counter including its own hit.
// $1 key, $2 window start (ms), $3 window end (ms), $4 window length (ms).
const HIT_SQL = `insert into kit_rate_limits as r (key, window_start, count, previous_count, expires_at)
  values ($1, $2, 1, 0, $3)
  on conflict (key) do update set
    previous_count = case
      when excluded.window_start = r.window_start + $4 then r.count
      when excluded.window_start > r.window_start then 0
      else r.previous_count end,
    count = case when excluded.window_start > r.window_start then 1 else r.count + 1 end,
    window_start = greatest(r.window_start, excluded.window_start),
    expires_at = greatest(r.expires_at, excluded.expires_at)
  returning count, previous_count, window_start`;

const PURGE_SQL = 'delete from kit_rate_limits where expires_at < $1';

/**
 * Options of {@link createMikroOrmRateLimitStore}.
 */
export interface MikroOrmRateLimitStoreOptions {
  /** A MikroORM (PostgreSQL driver) instance on a database migrated with `migrate(orm)`. */
  orm: MikroORM;
}

/**
 * A {@link RateLimitStore} in PostgreSQL (table `kit_rate_limits`, created by the kit's
 * migrations), shared by every instance on the database. Each hit is a single
 * `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` statement: atomic, one round trip, no
 * transaction held open. Driver errors become `ERR_STORE_UNAVAILABLE` or `ERR_STORE_FAILURE`.
 *
 * @example
 * ```ts
 * import { createKitOrm, createMikroOrmRateLimitStore, migrate } from '@kit/core/mikro-orm';
 * import { createKitRoutes } from '@kit/hono';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * await migrate(orm);
 * const routes = createKitRoutes(kit, {
 *   rateLimit: { store: createMikroOrmRateLimitStore({ orm }) },
 * });
 * ```
 */
export function createMikroOrmRateLimitStore(options: MikroOrmRateLimitStoreOptions): RateLimitStore {
  const orm = options?.orm;
  if (!orm || typeof orm.em?.getConnection !== 'function') {
    throw new KitInvalidOptionsError(
      'createMikroOrmRateLimitStore needs { orm }: a MikroORM instance using the PostgreSQL driver.',
    );
  }

  const query = (operation: string, statement: Statement) => runStatement(orm, operation, statement);

  return {
    async hit(key, { windowMs, now }): Promise<RateLimitHit> {
      const windowStart = validateRateLimitHit(key, { windowMs, now });
      const result = await query('rate-limit hit', {
        text: HIT_SQL,
        values: [key, windowStart, windowStart + windowMs, windowMs],
      });
      const row = result.rows[0];
      if (!row) throw toStoreError(new Error('no row returned'), 'rate-limit hit');
      return {
        count: Number(row.count),
        previousCount: Number(row.previous_count),
        windowStart: Number(row.window_start),
      };
    },

    async purge(before) {
      if (!Number.isFinite(before))
        throw new KitInvalidInputError('`before` must be a time in milliseconds.');
      const result = await query('rate-limit purge', { text: PURGE_SQL, values: [Math.floor(before)] });
      return result.rowCount ?? 0;
    },
  };
}
