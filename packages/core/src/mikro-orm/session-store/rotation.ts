import type { RotateInput, SessionRecord, SessionStore } from '../../store/session-store.ts';
import { type BatchRunner, batchedByLayout } from '../statement-batcher.ts';
import { bytes, COLUMNS, firstRecord, fromRow, S_COLUMNS, type Write } from './session-rows.ts';

// The hot path: one atomic compare-and-set statement per rotation. Under READ COMMITTED, concurrent
// updaters of the row queue on its lock and re-evaluate the WHERE clause against the committed
// version, so exactly one of N callers presenting the same generation matches. A session bound to a
// DPoP key matches only when $9 is that key's thumbprint (the caller verified the proof first);
// `dpop_jkt = null` is never true, so without a proof only a Bearer session rotates.
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
    and (dpop_jkt is null or dpop_jkt = $9::text)
  returning ${COLUMNS}`;

// The same compare-and-set for several sessions in one statement (see StatementBatcher): each input
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
      $7::varchar[], $8::varchar[], $9::text[])
    with ordinality as i(id, generation, secret_hash, next_secret_hash, now, idle_expires_at, user_agent, ip, dpop_jkt, position)
  where s.id = i.id and s.generation = i.generation and s.secret_hash = i.secret_hash
    and s.revoked_at is null and s.idle_expires_at > i.now and s.absolute_expires_at > i.now
    and (s.dpop_jkt is null or s.dpop_jkt = i.dpop_jkt)
  returning i.position, ${S_COLUMNS}`;

const TOUCH_SQL = `update kit_sessions set
    last_refreshed_at = $4,
    idle_expires_at = least($5::timestamptz, absolute_expires_at)
  where id = $1 and generation = $2 and secret_hash = $3 and revoked_at is null
    and idle_expires_at > $4 and absolute_expires_at > $4
  returning ${COLUMNS}`;

/** PostgreSQL's order of uuid values: byte order, which is the order of their lowercase text. */
function compareIds(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function rotationRunner(write: Write): BatchRunner<RotateInput, SessionRecord | null> {
  return {
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
          input.dpopJkt ?? null,
        ],
      });
      return firstRecord(result);
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
          sorted.map((input) => input.dpopJkt ?? null),
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
}

/**
 * The store's rotations: `rotate`, grouped by a {@link StatementBatcher} of `batchSize` (default 64,
 * or 1 when `kit_sessions` is distributed: see `MikroOrmStoreOptions.rotationBatchSize`), and
 * `touch`, the compare-and-set that confirms a grace answer without rotating.
 *
 * @internal
 */
export function sessionRotations(
  write: Write,
  layout: () => Promise<boolean>,
  batchSize: number | undefined,
): Pick<SessionStore, 'rotate' | 'touch'> {
  const rotate = batchedByLayout(rotationRunner(write), layout, batchSize);

  return {
    rotate,

    async touch(input) {
      const result = await write('touch', {
        text: TOUCH_SQL,
        values: [input.id, input.generation, bytes(input.secretHash), input.now, input.idleExpiresAt],
      });
      return firstRecord(result);
    },
  };
}
