import type { MikroORM } from '@mikro-orm/postgresql';
import { KitInvalidInputError, KitInvalidOptionsError } from '../errors.ts';
import type { RateLimitHit, RateLimitStore } from '../store/rate-limit-store.ts';
import { validateRateLimitHit } from '../store/validate-rate-limit-hit.ts';
import { toStoreError } from './errors.ts';
import { runStatement, type Statement, type StatementResult } from './run-statement.ts';
import { tableLayout } from './session-store/citus-layout.ts';
import { type BatchRunner, batchedByLayout } from './statement-batcher.ts';

// One atomic statement counts a group of hits: one row per key, `hits` of them on it (several when
// concurrent callers hit the same key). INSERT ... ON CONFLICT takes each row's lock, and every
// expression of the DO UPDATE reads the committed row (`r`), so concurrent statements from any
// number of instances serialise on the row and each sees the counter including its own hits.
// Rows go in key order, so two instances' statements lock shared keys in the same order. A row's
// window length is its `expires_at - window_start` (the window's end, less its start).
// $1 keys, $2 window starts (ms), $3 window lengths (ms), $4 hits per key.
const HIT_SQL = `insert into kit_rate_limits as r (key, window_start, count, previous_count, expires_at)
  select h.key, h.window_start, h.hits, 0, h.window_start + h.window_ms
    from unnest($1::varchar[], $2::bigint[], $3::bigint[], $4::integer[]) as h (key, window_start, window_ms, hits)
    order by h.key
  on conflict (key) do update set
    previous_count = case
      when excluded.window_start = r.window_start + (excluded.expires_at - excluded.window_start) then r.count
      when excluded.window_start > r.window_start then 0
      else r.previous_count end,
    count = case when excluded.window_start > r.window_start then excluded.count else r.count + excluded.count end,
    window_start = greatest(r.window_start, excluded.window_start),
    expires_at = greatest(r.expires_at, excluded.expires_at)
  returning key, count, previous_count, window_start`;

const PURGE_SQL = 'delete from kit_rate_limits where expires_at < $1';

/**
 * Options of {@link createMikroOrmRateLimitStore}.
 */
export interface MikroOrmRateLimitStoreOptions {
  /**
   * A MikroORM (PostgreSQL driver) instance on a database migrated with `migrate(orm)`, with a
   * statement timeout (`createKitOrm` sets one): grouped hits wait for a statement in flight, so
   * one row locked forever elsewhere would hold every hit behind it.
   */
  orm: MikroORM;
  /**
   * Most hits counted by one statement. The hits of one turn of the event loop leave together at
   * its end, and hits that arrive while two statements are in flight wait and leave together in
   * the next, so a busy instance pays one round trip for many requests and a quiet one waits only
   * for the rest of the current turn. 1 sends every hit alone, at once.
   *
   * @default 64, or 1 when `kit_rate_limits` is distributed (Citus, read from its catalogue at the
   *   first hit)
   */
  batchSize?: number;
}

/** One hit, checked: its key and window. */
interface HitInput {
  key: string;
  windowStart: number;
  windowMs: number;
}

/**
 * A {@link RateLimitStore} in PostgreSQL (table `kit_rate_limits`, created by the kit's
 * migrations), shared by every instance on the database. A hit is counted by a single
 * `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` statement: atomic, one round trip, no
 * transaction held open. Under load, concurrent hits share that statement (see
 * {@link MikroOrmRateLimitStoreOptions.batchSize}); each still counts once and sees the counter
 * including itself. Driver errors become `ERR_STORE_UNAVAILABLE` or `ERR_STORE_FAILURE`.
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
  const { batchSize } = options;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000)) {
    throw new KitInvalidOptionsError('`batchSize` must be a whole number from 1 to 1000.');
  }

  const query = (operation: string, statement: Statement) => runStatement(orm, operation, statement);
  const runner: BatchRunner<HitInput, RateLimitHit | null> = {
    async one(input) {
      const [hit] = await countHits(query, [input]);
      return hit ?? null;
    },
    many: (inputs) => countHits(query, inputs),
  };
  const count = batchedByLayout(
    runner,
    tableLayout(orm, 'kit_rate_limits', batchSize === undefined ? undefined : false),
    batchSize,
  );

  return {
    hit(key, { windowMs, now }): Promise<RateLimitHit> {
      let input: HitInput;
      try {
        input = { key, windowStart: validateRateLimitHit(key, { windowMs, now }), windowMs };
      } catch (error) {
        return Promise.reject(error);
      }
      return count(input).then(counted);
    },

    async purge(before) {
      if (!Number.isFinite(before))
        throw new KitInvalidInputError('`before` must be a time in milliseconds.');
      const result = await query('rate-limit purge', { text: PURGE_SQL, values: [Math.floor(before)] });
      return result.rowCount ?? 0;
    },
  };
}

/**
 * A hit's answer, or `ERR_STORE_FAILURE` when the statement returned no row for its key (never with
 * the kit's table as migrated; a trigger or row security policy of the host's could drop it). Per
 * hit, not per statement: the other hits of the statement were counted, and must not be again.
 */
function counted(hit: RateLimitHit | null): RateLimitHit {
  if (!hit) throw toStoreError(new Error('no row returned'), 'rate-limit hit');
  return hit;
}

/**
 * Counts `inputs` in one statement and returns each hit's own view, in order (`null` for a key the
 * statement returned no row for): the hits on one key count as if one after another, so the k-th
 * of n sees the counter less the n - k after it.
 * Hits on one key must share its window: a group where they do not (a window that turned between
 * two hits of the queue) is refused before anything is sent, and the batcher counts its hits one
 * by one instead.
 */
async function countHits(
  query: (operation: string, statement: Statement) => Promise<StatementResult>,
  inputs: readonly HitInput[],
): Promise<(RateLimitHit | null)[]> {
  const groups = new Map<string, { input: HitInput; hits: number }>();
  for (const input of inputs) {
    const group = groups.get(input.key);
    if (!group) {
      groups.set(input.key, { input, hits: 1 });
    } else if (group.input.windowStart === input.windowStart && group.input.windowMs === input.windowMs) {
      group.hits++;
    } else {
      throw new Error('hits on one key in different windows');
    }
  }
  const keys: string[] = [];
  const starts: number[] = [];
  const lengths: number[] = [];
  const counts: number[] = [];
  for (const { input, hits } of groups.values()) {
    keys.push(input.key);
    starts.push(input.windowStart);
    lengths.push(input.windowMs);
    counts.push(hits);
  }
  const result = await query('rate-limit hit', { text: HIT_SQL, values: [keys, starts, lengths, counts] });
  const rows = new Map<string, RateLimitHit>();
  for (const row of result.rows) {
    rows.set(row.key as string, {
      count: Number(row.count),
      previousCount: Number(row.previous_count),
      windowStart: Number(row.window_start),
    });
  }
  const seen = new Map<string, number>();
  return inputs.map((input) => {
    const row = rows.get(input.key);
    if (!row) return null;
    const hits = (groups.get(input.key) as { hits: number }).hits;
    const place = (seen.get(input.key) ?? 0) + 1;
    seen.set(input.key, place);
    return { ...row, count: row.count - hits + place };
  });
}
