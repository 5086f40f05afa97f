import type { MikroORM } from '@mikro-orm/postgresql';
import type { SessionStore } from '../../store/session-store.ts';
import { lockPurge } from '../purge-lock.ts';
import { bytes, COLUMNS, firstRecord, type Write } from './session-rows.ts';

const INSERT_SQL = `insert into kit_sessions (${COLUMNS})
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15, $16)`;

const UPDATE_DATA_SQL = `update kit_sessions set data = $2::jsonb where id = $1 and revoked_at is null returning ${COLUMNS}`;

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
 * The rest of a session's life in the store: opening it, its data and expiry changed by the host,
 * and purging dead rows under the purge lock (held up to `purgeLockMs` without a sign of life).
 *
 * @internal
 */
export function sessionUpkeep(
  orm: MikroORM,
  write: Write,
  purgeLockMs: number,
): Pick<SessionStore, 'insert' | 'updateData' | 'updateExpiry' | 'lockPurge' | 'purge'> {
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
          record.dpopJkt,
        ],
      });
    },

    async updateData(id, data) {
      const result = await write('updateData', { text: UPDATE_DATA_SQL, values: [id, JSON.stringify(data)] });
      return firstRecord(result);
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
      return firstRecord(result);
    },

    lockPurge: () => lockPurge(orm, { idleTimeoutMs: purgeLockMs }),

    async purge({ before, limit, after }) {
      const result = await write('purge', { text: PURGE_SQL, values: [before, after ?? null, limit] });
      const row = result.rows[0] as { deleted: number; scanned: number; last_id: string | null };
      return { deleted: row.deleted, cursor: row.scanned < limit ? null : row.last_id };
    },
  };
}
