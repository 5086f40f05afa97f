import { randomBytes } from 'node:crypto';
import type { AuthKit, SessionStore } from '@kit/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { MakeOperation } from './harness.ts';

/**
 * Refresh-rotation benchmarks: the kit, the kit's store alone, and the physical limit (raw `pg`).
 *
 * Fairness, in short: the same database and table, the same pool size (16) on both sides, the
 * same statement (checked against what the kit actually sends), each caller chaining its own
 * session so no caller ever waits on another's row lock, and every measurement preceded by a
 * warm-up so pools are full. The raw loop keeps a named prepared statement (parsed and planned
 * once per connection), which the kit gives up so that it works behind a pooler in transaction
 * mode; the kit also sends its statement timeout ahead of each statement, in the same round
 * trip. Both differences are part of what the kit costs next to the limit.
 */

/**
 * The rotation statement of `packages/core/src/mikro-orm/session-store/rotation.ts` (ROTATE_SQL, which
 * is not exported). {@link checkRotateSql} compares it with the text the kit itself sends, so the
 * raw figure can never silently drift away from what the kit runs.
 */
export const ROTATE_SQL = `update kit_sessions set
    generation = generation + 1,
    secret_hash = $4,
    rotated_at = $5,
    last_refreshed_at = $5,
    idle_expires_at = least($6::timestamptz, absolute_expires_at),
    user_agent = coalesce($7, user_agent),
    ip = coalesce($8, ip)
  where id = $1 and generation = $2 and secret_hash = $3 and revoked_at is null
    and idle_expires_at > $5 and absolute_expires_at > $5
    and (dpop_jkt is null or dpop_jkt = $9::text)
  returning id, user_id, client_id, created_at, last_refreshed_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, user_agent, ip, data, generation, secret_hash, rotated_at, dpop_jkt`;

/** The name the raw loop prepares the rotation under (the kit names its own after the text). */
export const ROTATE_STATEMENT_NAME = 'kit_rotate_session';

/** The kit's default idle TTL (30 days): the raw loop slides the idle expiry by the same amount. */
const IDLE_TTL_MS = 30 * 86_400_000;

/** Hash values generated ahead per caller, so the raw loop does no hashing at all. */
const PRECOMPUTED_HASHES = 1024;

const normalise = (sql: string) => sql.replace(/\s+/g, ' ').trim();

interface KnexClientLike {
  acquireConnection(): Promise<{ query: (...args: unknown[]) => unknown }>;
}

/**
 * The SQL texts the kit sends through `orm`'s pool while `work` runs (each connection's `query`
 * observed, then restored).
 */
async function sentTexts(orm: MikroORM, work: () => Promise<unknown>): Promise<string[]> {
  const client = orm.em.getConnection().getKnex().client as unknown as KnexClientLike;
  const acquire = client.acquireConnection;
  const texts: string[] = [];
  const restore: (() => void)[] = [];
  client.acquireConnection = async () => {
    const connection = await acquire.call(client);
    if (!Object.hasOwn(connection, '__benchObserved')) {
      const hadOwn = Object.hasOwn(connection, 'query');
      const query = connection.query;
      Object.defineProperty(connection, '__benchObserved', { value: true, configurable: true });
      connection.query = function (this: unknown, config: unknown, ...rest: unknown[]) {
        const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
        if (typeof text === 'string') texts.push(text);
        return query.call(this, config, ...rest);
      };
      restore.push(() => {
        if (hadOwn) connection.query = query;
        else delete (connection as { query?: unknown }).query;
        delete (connection as { __benchObserved?: unknown }).__benchObserved;
      });
    }
    return connection;
  };
  try {
    await work();
  } finally {
    client.acquireConnection = acquire;
    for (const undo of restore) undo();
  }
  return texts;
}

/**
 * Observes the rotation statement the kit sends during one refresh and throws if it differs from
 * {@link ROTATE_SQL}.
 */
export async function checkRotateSql(orm: MikroORM, kit: AuthKit): Promise<void> {
  const { refreshToken } = await kit.createSession({ userId: 'bench-sql-check' });
  const texts = await sentTexts(orm, () => kit.refresh(refreshToken));
  const sent = texts.find((text) => text.includes('generation = generation + 1'));
  if (sent === undefined) {
    throw new Error('The kit sent no rotation statement during a refresh: update bench/src/refresh.ts.');
  }
  if (normalise(sent) !== normalise(ROTATE_SQL)) {
    throw new Error(
      "The kit's rotation statement changed: copy ROTATE_SQL from packages/core/src/mikro-orm/session-store/rotation.ts into bench/src/refresh.ts (and check its parameters).",
    );
  }
}

/**
 * `kit.refresh(token)`. Each caller owns one session and chains it: the refresh token returned
 * by one call is the one presented by the next, exactly as a client does. This is the full
 * refresh: token decoding and HMAC checks, the rotation statement, and the response (ES256
 * access token signed, next refresh token encoded).
 */
export function kitRefresh(kit: AuthKit, concurrency: number): MakeOperation {
  return async (caller) => {
    let token = (await kit.createSession({ userId: `bench-kit-${concurrency}-${caller}` })).refreshToken;
    return async () => {
      token = (await kit.refresh(token)).refreshToken;
    };
  };
}

/** A session created by the kit, and the rotation state the raw and store loops carry forward. */
async function openChain(kit: AuthKit, pool: pg.Pool, userId: string) {
  const { session } = await kit.createSession({ userId });
  const row = (
    await pool.query<{ generation: number; secret_hash: Buffer }>(
      'select generation, secret_hash from kit_sessions where id = $1',
      [session.id],
    )
  ).rows[0]!;
  // Random 32-byte values stand in for the successor hashes: the database sees the same bytes
  // it would from the kit, and the loop spends nothing on computing them.
  const hashes = Array.from({ length: PRECOMPUTED_HASHES }, () => randomBytes(32));
  return { id: session.id, generation: row.generation, current: row.secret_hash, hashes };
}

/**
 * The physical limit: the kit's compare-and-set statement issued through a plain `pg.Pool` on the
 * same `kit_sessions` table. Per operation it does only what the statement strictly needs: pick
 * the next precomputed hash, build the two timestamps, run the named prepared statement (so the
 * server parses and plans it once per connection, as it does for the kit) and check that it
 * matched its row. Result rows are parsed by `pg` as usual, since the kit needs them too.
 */
export function rawRotation(kit: AuthKit, pool: pg.Pool, concurrency: number): MakeOperation {
  return async (caller) => {
    const chain = await openChain(kit, pool, `bench-raw-${concurrency}-${caller}`);
    let next = 0;
    return async () => {
      const nextHash = chain.hashes[next++ % PRECOMPUTED_HASHES]!;
      const now = new Date();
      const result = await pool.query({
        name: ROTATE_STATEMENT_NAME,
        text: ROTATE_SQL,
        values: [
          chain.id,
          chain.generation,
          chain.current,
          nextHash,
          now,
          new Date(now.getTime() + IDLE_TTL_MS),
          null,
          null,
          null, // no DPoP key: a Bearer session
        ],
      });
      if (result.rowCount !== 1) throw new Error('The raw rotation did not match its row.');
      chain.generation += 1;
      chain.current = nextHash;
    };
  };
}

/**
 * The kit's store alone: `store.rotate()` of `createMikroOrmStore` with the same precomputed
 * values as the raw loop. It runs the same statement through the ORM's knex pool and maps the
 * row to a record, but skips everything cryptographic the kit does around it (token decoding,
 * HMACs, hashing, access-token signing). Kit refresh minus this is the kit's own CPU cost;
 * this minus raw is the cost of the ORM's connection handling.
 */
export function storeRotation(
  kit: AuthKit,
  store: SessionStore,
  pool: pg.Pool,
  concurrency: number,
): MakeOperation {
  return async (caller) => {
    const chain = await openChain(kit, pool, `bench-store-${concurrency}-${caller}`);
    let next = 0;
    return async () => {
      const nextHash = chain.hashes[next++ % PRECOMPUTED_HASHES]!;
      const now = new Date();
      const record = await store.rotate({
        id: chain.id,
        generation: chain.generation,
        secretHash: chain.current,
        nextSecretHash: nextHash,
        now,
        idleExpiresAt: new Date(now.getTime() + IDLE_TTL_MS),
      });
      if (!record) throw new Error('The store rotation did not match its row.');
      chain.generation += 1;
      chain.current = nextHash;
    };
  };
}

/** The name the raw grouped loop prepares the grouped rotation under. */
export const ROTATE_MANY_STATEMENT_NAME = 'kit_rotate_sessions';

/**
 * Observes the grouped rotation statement the kit sends during concurrent refreshes, so the raw
 * grouped loop runs exactly the kit's text without a copy.
 */
export async function readRotateManySql(orm: MikroORM, kit: AuthKit): Promise<string> {
  const tokens = await Promise.all(
    Array.from(
      { length: 8 },
      async (_, i) => (await kit.createSession({ userId: `bench-group-${i}` })).refreshToken,
    ),
  );
  const texts = await sentTexts(orm, () => Promise.all(tokens.map((token) => kit.refresh(token))));
  const found = texts.find((text) => text.includes('unnest('));
  if (found) return found;
  throw new Error('The kit sent no grouped rotation statement: update bench/src/refresh.ts.');
}

/**
 * The physical limit of grouped rotation: the kit's grouped statement (read from PostgreSQL by
 * {@link readRotateManySql}) through a plain `pg.Pool`, with the same natural batching as the
 * kit (the callers of one turn of the event loop leave together at its end; at most two statements
 * in flight, callers arriving meanwhile leave together in the next one, sorted by id), and nothing
 * else: no token crypto, no error handling beyond a row check.
 */
export function rawGroupedRotation(
  kit: AuthKit,
  pool: pg.Pool,
  sql: string,
  concurrency: number,
): MakeOperation {
  type Item = {
    chain: Awaited<ReturnType<typeof openChain>>;
    nextHash: Buffer;
    now: Date;
    done: (ok: boolean) => void;
  };
  const queue: Item[] = [];
  let inFlight = 0;
  let gathering = false;
  const send = async (items: Item[]) => {
    items.sort((a, b) => (a.chain.id < b.chain.id ? -1 : 1));
    const result = await pool.query({
      name: ROTATE_MANY_STATEMENT_NAME,
      text: sql,
      values: [
        items.map((i) => i.chain.id),
        items.map((i) => i.chain.generation),
        items.map((i) => i.chain.current),
        items.map((i) => i.nextHash),
        items.map((i) => i.now),
        items.map((i) => new Date(i.now.getTime() + IDLE_TTL_MS)),
        items.map(() => null),
        items.map(() => null),
        items.map(() => null), // no DPoP key: Bearer sessions
      ],
    });
    const matched = new Set(result.rows.map((row) => Number(row.position)));
    for (const [index, item] of items.entries()) item.done(matched.has(index + 1));
  };
  const pump = () => {
    while (inFlight < 2 && queue.length > 0) {
      const items = queue.splice(0, 64);
      inFlight++;
      void send(items)
        .catch(() => {
          for (const item of items) item.done(false);
        })
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  };
  return async (caller) => {
    const chain = await openChain(kit, pool, `bench-raw-group-${concurrency}-${caller}`);
    let next = 0;
    return async () => {
      const nextHash = chain.hashes[next++ % PRECOMPUTED_HASHES]!;
      const ok = await new Promise<boolean>((done) => {
        queue.push({ chain, nextHash, now: new Date(), done });
        // As the kit: with a statement free, one turn's callers leave together at its end.
        if (!gathering && inFlight < 2) {
          gathering = true;
          setImmediate(() => {
            gathering = false;
            pump();
          });
        }
      });
      if (!ok) throw new Error('The raw grouped rotation did not match its row.');
      chain.generation += 1;
      chain.current = nextHash;
    };
  };
}
