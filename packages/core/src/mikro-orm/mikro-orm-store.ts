import type { FilterQuery } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { KitInvalidOptionsError } from '../errors.ts';
import type { RotateInput, SessionRecord, SessionStatus, SessionStore } from '../store/session-store.ts';
import { type Duration, toOptionSeconds } from '../util/duration.ts';
import { isSessionsTableDistributed } from './citus.ts';
import { toStoreError } from './errors.ts';
import { lockPurge } from './purge-lock.ts';
import { type BatchRunner, RotationBatcher } from './rotation-batcher.ts';
import { runStatement, type Statement } from './run-statement.ts';
import { KitSession, type KitSessionEntity } from './session-entity.ts';

/** Subset of a `pg` client used for single-statement writes. */

type Row = Record<string, unknown>;

const COLUMNS =
  'id, user_id, client_id, created_at, last_refreshed_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, user_agent, ip, data, generation, secret_hash, rotated_at';

const S_COLUMNS = COLUMNS.split(', ')
  .map((column) => `s.${column}`)
  .join(', ');

// The hot path: one atomic compare-and-set statement per rotation. Under READ COMMITTED, concurrent
// updaters of the row queue on its lock and re-evaluate the WHERE clause against the committed
// version, so exactly one of N callers presenting the same generation matches.
const ROTATE_SQL = `update kit_sessions set
    generation = generation + 1,
    secret_hash = $4,
    rotated_at = $5,
    last_refreshed_at = $5,
    idle_expires_at = least($6::timestamptz, absolute_expires_at),
    user_agent = coalesce($7, user_agent),
    ip = coalesce($8, ip)
  where id = $1 and generation = $2 and secret_hash = $3 and revoked_at is null
    and idle_expires_at > $5 and absolute_expires_at > $5
  returning ${COLUMNS}`;

// The same compare-and-set for several sessions in one statement (see RotationBatcher): each input
// row is joined to its session on the same condition, so each matches or not exactly as alone.
// Inputs arrive sorted by id, and the plan PostgreSQL picks beyond tiny tables (a function scan of
// the arrays driving primary-key lookups) locks rows in that order; a deadlock that happens anyway
// (another plan, or revokeByUser locking a user's rows) is retried by the batcher.
const ROTATE_MANY_SQL = `update kit_sessions s set
    generation = s.generation + 1,
    secret_hash = i.next_secret_hash,
    rotated_at = i.now,
    last_refreshed_at = i.now,
    idle_expires_at = least(i.idle_expires_at, s.absolute_expires_at),
    user_agent = coalesce(i.user_agent, s.user_agent),
    ip = coalesce(i.ip, s.ip)
  from unnest($1::uuid[], $2::int[], $3::bytea[], $4::bytea[], $5::timestamptz[], $6::timestamptz[],
      $7::varchar[], $8::varchar[])
    with ordinality as i(id, generation, secret_hash, next_secret_hash, now, idle_expires_at, user_agent, ip, position)
  where s.id = i.id and s.generation = i.generation and s.secret_hash = i.secret_hash
    and s.revoked_at is null and s.idle_expires_at > i.now and s.absolute_expires_at > i.now
  returning i.position, ${S_COLUMNS}`;

// A user's sessions, locked in id order (see revokeByUser).
const REVOKE_BY_USER_SQL = `with target as (
    select id from kit_sessions
    where user_id = $1 and revoked_at is null and ($4::uuid is null or id <> $4)
    order by id
    for update
  )
  update kit_sessions s set revoked_at = $2, revoked_reason = $3
  from target t where s.id = t.id
  returning ${S_COLUMNS}`;

// The same on a distributed table: every shard updates its own rows.
const REVOKE_BY_USER_DISTRIBUTED_SQL = `update kit_sessions set revoked_at = $2, revoked_reason = $3
  where user_id = $1 and revoked_at is null and ($4::uuid is null or id <> $4)
  returning ${COLUMNS}`;

// Reads one session, or a decoy row of the same shape when there is none (see find()).
const FIND_SQL = `select s.id is not null as found,
    coalesce(s.id, v.id) as id,
    coalesce(s.user_id, v.text) as user_id,
    coalesce(s.client_id, v.text) as client_id,
    coalesce(s.created_at, v.at) as created_at,
    coalesce(s.last_refreshed_at, v.at) as last_refreshed_at,
    coalesce(s.idle_expires_at, v.at) as idle_expires_at,
    coalesce(s.absolute_expires_at, v.at) as absolute_expires_at,
    s.revoked_at, s.revoked_reason, s.user_agent, s.ip,
    coalesce(s.data, '{}'::jsonb) as data,
    coalesce(s.generation, 0) as generation,
    coalesce(s.secret_hash, v.hash) as secret_hash,
    case when s.id is null then v.at else s.rotated_at end as rotated_at
  from (values ($1::uuid, 'missing'::varchar, '2000-01-01T00:00:00Z'::timestamptz, '\\x${'00'.repeat(32)}'::bytea))
    as v(id, text, at, hash)
  left join kit_sessions s on s.id = v.id`;

const INSERT_SQL = `insert into kit_sessions (${COLUMNS})
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15)`;

// Examine one window of rows in primary-key order and delete the dead ones. The DELETE re-checks
// the condition on the row it locks, so a session revalidated meanwhile is never deleted.
const PURGE_SQL = `with batch as (
    select id from kit_sessions where ($2::uuid is null or id > $2) order by id limit $3
  ), gone as (
    delete from kit_sessions s using batch b
    where s.id = b.id and (s.revoked_at < $1 or s.idle_expires_at < $1 or s.absolute_expires_at < $1)
    returning 1
  )
  select (select count(*) from gone)::int as deleted,
         (select count(*) from batch)::int as scanned,
         (select id from batch order by id desc limit 1) as last_id`;

/**
 * Runs `run` again when PostgreSQL (or Citus's distributed deadlock detector) chose its statement
 * to break a deadlock (SQLSTATE 40P01): the statement was rolled back whole, so running it again is
 * safe. A few tries, then the error stands.
 */
async function retryDeadlock<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
      if (code !== '40P01' || attempt >= 3) throw error;
    }
  }
}

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string);
}

function toNullableDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

function fromRow(row: Row): SessionRecord {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    clientId: row.client_id as string,
    createdAt: toDate(row.created_at),
    lastRefreshedAt: toDate(row.last_refreshed_at),
    idleExpiresAt: toDate(row.idle_expires_at),
    absoluteExpiresAt: toDate(row.absolute_expires_at),
    revokedAt: toNullableDate(row.revoked_at),
    revokedReason: (row.revoked_reason as string | null) ?? null,
    userAgent: (row.user_agent as string | null) ?? null,
    ip: (row.ip as string | null) ?? null,
    data: (row.data as Record<string, unknown>) ?? {},
    generation: row.generation as number,
    secretHash: new Uint8Array(row.secret_hash as Uint8Array),
    rotatedAt: toNullableDate(row.rotated_at),
  };
}

function fromEntity(entity: KitSessionEntity): SessionRecord {
  return {
    id: entity.id,
    userId: entity.userId,
    clientId: entity.clientId,
    createdAt: toDate(entity.createdAt),
    lastRefreshedAt: toDate(entity.lastRefreshedAt),
    idleExpiresAt: toDate(entity.idleExpiresAt),
    absoluteExpiresAt: toDate(entity.absoluteExpiresAt),
    revokedAt: toNullableDate(entity.revokedAt),
    revokedReason: entity.revokedReason ?? null,
    userAgent: entity.userAgent ?? null,
    ip: entity.ip ?? null,
    data: entity.data ?? {},
    generation: entity.generation,
    secretHash: new Uint8Array(entity.secretHash as Uint8Array),
    rotatedAt: toNullableDate(entity.rotatedAt),
  };
}

/** PostgreSQL's order of uuid values: byte order, which is the order of their lowercase text. */
function compareIds(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function bytes(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function statusFilter(status: SessionStatus, now: Date): Record<string, unknown> {
  switch (status) {
    case 'active':
      return { revokedAt: null, idleExpiresAt: { $gt: now }, absoluteExpiresAt: { $gt: now } };
    case 'expired':
      return {
        revokedAt: null,
        $or: [{ idleExpiresAt: { $lte: now } }, { absoluteExpiresAt: { $lte: now } }],
      };
    case 'revoked':
      return { revokedAt: { $ne: null } };
    case 'all':
      return {};
  }
}

/**
 * Options of {@link createMikroOrmStore}.
 *
 * @example
 * ```ts
 * const options: MikroOrmStoreOptions = { orm };
 * ```
 */
export interface MikroOrmStoreOptions {
  /**
   * A MikroORM (PostgreSQL driver) instance whose entities include {@link KitSession}, such as
   * the one {@link createKitOrm} returns or the host's own.
   */
  orm: MikroORM;
  /**
   * Most rotations sent to PostgreSQL in one statement. While two rotation statements are
   * running, further refreshes wait and leave together in the next one: one round trip and one
   * commit for many sessions, each still its own compare-and-set. A quiet server sends each
   * rotation alone, at once. `1` sends every rotation alone.
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
 * Exported from `@kit/core/mikro-orm`.
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

  const write = (operation: string, statement: Statement) => runStatement(orm, operation, statement);

  const runner: BatchRunner<RotateInput, SessionRecord | null> = {
    async one(input) {
      const result = await write('rotate', {
        text: ROTATE_SQL,
        values: [
          input.id,
          input.generation,
          bytes(input.secretHash),
          bytes(input.nextSecretHash),
          input.now,
          input.idleExpiresAt,
          input.userAgent ?? null,
          input.ip ?? null,
        ],
      });
      const row = result.rows[0];
      return row ? fromRow(row) : null;
    },
    async many(inputs) {
      const order = inputs.map((_, index) => index).sort((a, b) => compareIds(inputs[a]!.id, inputs[b]!.id));
      const sorted = order.map((index) => inputs[index]!);
      const result = await write('rotate', {
        text: ROTATE_MANY_SQL,
        values: [
          sorted.map((input) => input.id),
          sorted.map((input) => input.generation),
          sorted.map((input) => bytes(input.secretHash)),
          sorted.map((input) => bytes(input.nextSecretHash)),
          sorted.map((input) => input.now),
          sorted.map((input) => input.idleExpiresAt),
          sorted.map((input) => input.userAgent ?? null),
          sorted.map((input) => input.ip ?? null),
        ],
      });
      const outputs: (SessionRecord | null)[] = inputs.map(() => null);
      for (const row of result.rows) {
        // `position` is the 1-based place in the sorted arrays (a bigint, which pg returns as text).
        outputs[order[Number(row.position) - 1]!] = fromRow(row);
      }
      return outputs;
    },
  };

  // The table's layout, read once before the first statement that depends on it. A failed read
  // (database down) is not kept: the next call asks again.
  let distributed: boolean | undefined = options.distributed;
  let detecting: Promise<boolean> | undefined;
  function layout(): Promise<boolean> {
    if (distributed !== undefined) return Promise.resolve(distributed);
    detecting ??= isSessionsTableDistributed(orm).then(
      (value) => {
        distributed = value;
        return value;
      },
      (error: unknown) => {
        detecting = undefined;
        throw error;
      },
    );
    return detecting;
  }

  let rotations: RotationBatcher<RotateInput, SessionRecord | null> | undefined;
  const batcher = (isDistributed: boolean) => {
    rotations ??= new RotationBatcher(runner, {
      maxBatch: chosenBatchSize ?? (isDistributed ? 1 : 64),
      maxInFlight: 2,
    });
    return rotations;
  };

  async function read<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toStoreError(error, operation);
    }
  }

  return {
    async insert(record) {
      await write('insert', {
        text: INSERT_SQL,
        values: [
          record.id,
          record.userId,
          record.clientId,
          record.createdAt,
          record.lastRefreshedAt,
          record.idleExpiresAt,
          record.absoluteExpiresAt,
          record.revokedAt,
          record.revokedReason,
          record.userAgent,
          record.ip,
          JSON.stringify(record.data),
          record.generation,
          bytes(record.secretHash),
          record.rotatedAt,
        ],
      });
    },

    rotate(input: RotateInput) {
      // After the first call, straight to the batcher: the hot path awaits nothing more.
      if (rotations) return rotations.run(input);
      return layout().then((isDistributed) => batcher(isDistributed).run(input));
    },

    async touch(input) {
      const result = await write('touch', {
        text: `update kit_sessions set
            last_refreshed_at = $4,
            idle_expires_at = least($5::timestamptz, absolute_expires_at)
          where id = $1 and generation = $2 and secret_hash = $3 and revoked_at is null
            and idle_expires_at > $4 and absolute_expires_at > $4
          returning ${COLUMNS}`,
        values: [input.id, input.generation, bytes(input.secretHash), input.now, input.idleExpiresAt],
      });
      const row = result.rows[0];
      return row ? fromRow(row) : null;
    },

    async find(id) {
      // One statement mapped by hand, as rotate's result is, and one row whether the session
      // exists or not: a missing session comes back as a decoy of the same shape, parsed the same
      // way, so a failed refresh of an unknown session takes the time of one of a revoked session
      // or a wrong secret (an ORM entity, or a row parsed only when it exists, would tell them
      // apart by their duration).
      const result = await write('find', { text: FIND_SQL, values: [id] });
      const row = result.rows[0];
      if (!row) return null;
      const record = fromRow(row);
      return row.found === true ? record : null;
    },

    list(userId, { status, now, limit }) {
      return read('list', async () => {
        const entities = await orm.em
          .fork()
          .find(KitSession, { userId, ...statusFilter(status, now) } as FilterQuery<KitSessionEntity>, {
            orderBy: { createdAt: 'desc', id: 'asc' },
            limit,
            disableIdentityMap: true,
          });
        return entities.map(fromEntity);
      });
    },

    count(userId, { status, now }) {
      return read('count', () =>
        orm.em
          .fork()
          .count(KitSession, { userId, ...statusFilter(status, now) } as FilterQuery<KitSessionEntity>),
      );
    },

    async revoke(id, { reason, now, userId }) {
      const result = await write('revoke', {
        text: `update kit_sessions set revoked_at = $2, revoked_reason = $3
          where id = $1 and revoked_at is null and ($4::varchar is null or user_id = $4)
          returning ${COLUMNS}`,
        values: [id, now, reason, userId ?? null],
      });
      const row = result.rows[0];
      return row ? fromRow(row) : null;
    },

    async ping() {
      // One round trip on a pooled connection. It names the kit's table, so a database where the
      // kit's migrations have not run is not ready either; `limit 0` reads no row. Unnamed: it is
      // rare, and a named statement would be prepared on every connection the pool opens.
      await write('ping', { text: 'select 1 from kit_sessions limit 0', values: [] });
    },

    async listRevoked({ since }) {
      // Served by the partial index kit_sessions_revoked_at_index (migration 0004).
      const result = await write('listRevoked', {
        text: 'select id from kit_sessions where revoked_at >= $1 and last_refreshed_at >= $1',
        values: [since],
      });
      return result.rows.map((row) => row.id as string);
    },

    async revokeByUser(userId, { reason, now, exceptId }) {
      const values = [userId, now, reason, exceptId ?? null];
      if (!(await layout())) {
        // The user's rows are locked in id order, the order grouped rotations lock theirs in, so
        // the two never wait on each other in a cycle.
        const result = await write('revokeByUser', { text: REVOKE_BY_USER_SQL, values });
        return result.rows.map(fromRow);
      }
      // Citus runs `FOR UPDATE` only on one shard, and a user's sessions are spread over all of
      // them: one plain UPDATE, which each shard runs on its own rows. Rotations are not grouped
      // there, so they lock one row each and cannot close a cycle with it; two revocations of one
      // user can (on two shards in opposite orders), which Citus's deadlock detector breaks by
      // cancelling one with 40P01: that one runs again, as the statement was rolled back whole.
      return retryDeadlock(async () => {
        const result = await write('revokeByUser', { text: REVOKE_BY_USER_DISTRIBUTED_SQL, values });
        return result.rows.map(fromRow);
      });
    },

    async updateData(id, data) {
      const result = await write('updateData', {
        text: `update kit_sessions set data = $2::jsonb where id = $1 and revoked_at is null returning ${COLUMNS}`,
        values: [id, JSON.stringify(data)],
      });
      const row = result.rows[0];
      return row ? fromRow(row) : null;
    },

    async updateExpiry(id, { idleExpiresAt, absoluteExpiresAt, now, state }) {
      const condition =
        state === 'active'
          ? 'idle_expires_at > $4 and absolute_expires_at > $4'
          : '(idle_expires_at <= $4 or absolute_expires_at <= $4)';
      const result = await write('updateExpiry', {
        text: `update kit_sessions set
            absolute_expires_at = coalesce($3::timestamptz, absolute_expires_at),
            idle_expires_at = least(coalesce($2::timestamptz, idle_expires_at), coalesce($3::timestamptz, absolute_expires_at))
          where id = $1 and revoked_at is null and ${condition}
          returning ${COLUMNS}`,
        values: [id, idleExpiresAt, absoluteExpiresAt, now],
      });
      const row = result.rows[0];
      return row ? fromRow(row) : null;
    },

    lockPurge: () => lockPurge(orm, { idleTimeoutMs: purgeLockMs }),

    async purge({ before, limit, after }) {
      const result = await write('purge', { text: PURGE_SQL, values: [before, after ?? null, limit] });
      const row = result.rows[0] as { deleted: number; scanned: number; last_id: string | null };
      return { deleted: row.deleted, cursor: row.scanned < limit ? null : row.last_id };
    },
  };
}

/**
 * Revokes every session opened up to `now` that is not revoked yet (`kit sessions revoke --all`),
 * in windows of 10,000 rows locked in id order (the order rotations and `revokeByUser` lock rows
 * in), so no statement holds the whole table. Resolves with the number revoked.
 *
 * @internal
 */
export async function revokeEverySession(
  orm: MikroORM,
  { reason, now }: { reason: string; now: Date },
): Promise<number> {
  // On Citus (no FOR UPDATE across shards) the window is chosen first, as an intermediate result,
  // and each shard updates its rows of it; the update re-checks the condition on every row.
  const text = (await isSessionsTableDistributed(orm))
    ? `update kit_sessions set revoked_at = $1, revoked_reason = $2
        where revoked_at is null and created_at <= $1 and id in (
          select id from kit_sessions where revoked_at is null and created_at <= $1 order by id limit 10000)`
    : `with batch as (
          select id from kit_sessions where revoked_at is null and created_at <= $1
          order by id limit 10000 for update
        )
        update kit_sessions s set revoked_at = $1, revoked_reason = $2 from batch b where s.id = b.id`;
  let total = 0;
  for (;;) {
    const result = await retryDeadlock(() => runStatement(orm, 'revokeAll', { text, values: [now, reason] }));
    const count = result.rowCount ?? 0;
    total += count;
    if (count === 0) return total;
  }
}
