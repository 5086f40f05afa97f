import type { FilterQuery } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { SessionStatus, SessionStore } from '../../store/session-store.ts';
import { toStoreError } from '../errors.ts';
import { KitSession, type KitSessionEntity } from '../session-entity.ts';
import { fromEntity, fromRow, type Write } from './session-rows.ts';

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
    case when s.id is null then v.at else s.rotated_at end as rotated_at,
    s.dpop_jkt
  from (values ($1::uuid, 'missing'::varchar, '2000-01-01T00:00:00Z'::timestamptz, '\\x${'00'.repeat(32)}'::bytea))
    as v(id, text, at, hash)
  left join kit_sessions s on s.id = v.id`;

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

async function read<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStoreError(error, operation);
  }
}

/**
 * The store's reads: one session by id (one statement, as on the refresh path), a user's sessions
 * listed and counted through the EntityManager, and the readiness ping.
 *
 * @internal
 */
export function sessionReads(
  orm: MikroORM,
  write: Write,
): Pick<SessionStore, 'find' | 'list' | 'count' | 'ping'> {
  return {
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

    async ping() {
      // One round trip on a pooled connection. It names the kit's table, so a database where the
      // kit's migrations have not run is not ready either; `limit 0` reads no row. Unnamed: it is
      // rare, and a named statement would be prepared on every connection the pool opens.
      await write('ping', { text: 'select 1 from kit_sessions limit 0', values: [] });
    },
  };
}
