import type { MikroORM } from '@mikro-orm/postgresql';
import type { SessionStore } from '../../store/session-store.ts';
import { isSessionsTableDistributed } from '../citus.ts';
import { runStatement } from '../run-statement.ts';
import { retryDeadlock } from './citus-layout.ts';
import { COLUMNS, firstRecord, fromRow, S_COLUMNS, type Write } from './session-rows.ts';

const REVOKE_SQL = `update kit_sessions set revoked_at = $2, revoked_reason = $3
  where id = $1 and revoked_at is null and ($4::varchar is null or user_id = $4)
  returning ${COLUMNS}`;

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

/**
 * The store's revocations: one session, a user's sessions (all, or all but one), and the ids
 * revoked since a time (the revocation feed).
 *
 * @internal
 */
export function sessionRevocations(
  write: Write,
  layout: () => Promise<boolean>,
): Pick<SessionStore, 'revoke' | 'revokeByUser' | 'listRevoked'> {
  return {
    async revoke(id, { reason, now, userId }) {
      const result = await write('revoke', { text: REVOKE_SQL, values: [id, now, reason, userId ?? null] });
      return firstRecord(result);
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

    async listRevoked({ since }) {
      // Served by the partial index kit_sessions_revoked_at_index (migration 0004).
      const result = await write('listRevoked', {
        text: 'select id from kit_sessions where revoked_at >= $1 and last_refreshed_at >= $1',
        values: [since],
      });
      return result.rows.map((row) => row.id as string);
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
