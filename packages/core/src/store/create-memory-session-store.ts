import { timingSafeEqual } from '../crypto/primitives.ts';
import { KitStoreFailureError, KitStoreUnavailableError } from '../errors.ts';
import type { PurgeLock, SessionRecord, SessionStatus, SessionStore } from './session-store.ts';

/** A stored row, copied so that no caller holds a reference into the store. */
function copy(record: SessionRecord): SessionRecord {
  return {
    ...record,
    id: record.id.toLowerCase(),
    createdAt: new Date(record.createdAt.getTime()),
    lastRefreshedAt: new Date(record.lastRefreshedAt.getTime()),
    idleExpiresAt: new Date(record.idleExpiresAt.getTime()),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt.getTime()),
    revokedAt: record.revokedAt ? new Date(record.revokedAt.getTime()) : null,
    rotatedAt: record.rotatedAt ? new Date(record.rotatedAt.getTime()) : null,
    // Through JSON, as the PostgreSQL store's jsonb column keeps it.
    data: JSON.parse(JSON.stringify(record.data)) as Record<string, unknown>,
    secretHash: new Uint8Array(record.secretHash),
  };
}

function earliest(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}

function isLive(row: SessionRecord, now: Date): boolean {
  return (
    row.revokedAt === null &&
    row.idleExpiresAt.getTime() > now.getTime() &&
    row.absoluteExpiresAt.getTime() > now.getTime()
  );
}

function hasStatus(row: SessionRecord, status: SessionStatus, now: Date): boolean {
  switch (status) {
    case 'active':
      return isLive(row, now);
    case 'expired':
      return row.revokedAt === null && !isLive(row, now);
    case 'revoked':
      return row.revokedAt !== null;
    case 'all':
      return true;
  }
}

type Rows = Map<string, SessionRecord>;

/** The idle expiry a refresh slides to: never past the absolute expiry. */
function slide(row: SessionRecord, idleExpiresAt: Date): Date {
  return new Date(earliest(idleExpiresAt, row.absoluteExpiresAt).getTime());
}

/** The row with this id if it holds `generation` and `secretHash` and is live at `now`. */
function current(
  rows: Rows,
  input: { id: string; generation: number; secretHash: Uint8Array; now: Date },
): SessionRecord | null {
  const row = rows.get(input.id.toLowerCase());
  const matches =
    row !== undefined &&
    row.generation === input.generation &&
    timingSafeEqual(row.secretHash, input.secretHash) &&
    isLive(row, input.now);
  return matches ? row : null;
}

type Change = 'insert' | 'rotate' | 'touch' | 'revoke' | 'revokeByUser' | 'updateData' | 'updateExpiry';

/** The methods that change one session or a user's sessions. */
function changes(rows: Rows): Pick<SessionStore, Change> {
  return {
    async insert(record) {
      const row = copy(record);
      if (rows.has(row.id)) {
        throw new KitStoreFailureError('The session store failed during insert: the session id exists.');
      }
      rows.set(row.id, row);
    },

    async rotate(input) {
      const row = current(rows, input);
      // A session bound to a DPoP key rotates only with a proof by that key; a thumbprint is
      // public (the hash of a public key), so a plain compare is fine.
      if (!row || (row.dpopJkt !== null && row.dpopJkt !== (input.dpopJkt ?? null))) return null;
      row.generation += 1;
      row.secretHash = new Uint8Array(input.nextSecretHash);
      row.rotatedAt = new Date(input.now.getTime());
      row.lastRefreshedAt = new Date(input.now.getTime());
      row.idleExpiresAt = slide(row, input.idleExpiresAt);
      row.userAgent = input.userAgent ?? row.userAgent;
      row.ip = input.ip ?? row.ip;
      return copy(row);
    },

    async touch(input) {
      const row = current(rows, input);
      if (!row) return null;
      row.lastRefreshedAt = new Date(input.now.getTime());
      row.idleExpiresAt = slide(row, input.idleExpiresAt);
      return copy(row);
    },

    async revoke(id, { reason, now, userId }) {
      const row = rows.get(id.toLowerCase());
      if (!row || row.revokedAt !== null || (userId !== undefined && row.userId !== userId)) return null;
      row.revokedAt = new Date(now.getTime());
      row.revokedReason = reason;
      return copy(row);
    },

    async revokeByUser(userId, { reason, now, exceptId }) {
      const except = exceptId?.toLowerCase();
      const revoked: SessionRecord[] = [];
      for (const row of rows.values()) {
        if (row.userId !== userId || row.revokedAt !== null || row.id === except) continue;
        row.revokedAt = new Date(now.getTime());
        row.revokedReason = reason;
        revoked.push(copy(row));
      }
      return revoked;
    },

    async updateData(id, data) {
      const row = rows.get(id.toLowerCase());
      if (!row || row.revokedAt !== null) return null;
      row.data = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
      return copy(row);
    },

    async updateExpiry(id, { idleExpiresAt, absoluteExpiresAt, now, state }) {
      const row = rows.get(id.toLowerCase());
      if (!row || row.revokedAt !== null || isLive(row, now) !== (state === 'active')) return null;
      const absolute = absoluteExpiresAt ?? row.absoluteExpiresAt;
      row.idleExpiresAt = new Date(earliest(idleExpiresAt ?? row.idleExpiresAt, absolute).getTime());
      row.absoluteExpiresAt = new Date(absolute.getTime());
      return copy(row);
    },
  };
}

/** The purge and its lock. */
function purging(rows: Rows): Pick<SessionStore, 'purge' | 'lockPurge'> {
  let holder: object | null = null;
  return {
    async purge({ before, limit, after }) {
      const from = after?.toLowerCase();
      // Id order, which for lower-case UUIDs is PostgreSQL's order of uuid values.
      const batch = [...rows.keys()]
        .filter((id) => from === undefined || id > from)
        .sort()
        .slice(0, limit);
      let deleted = 0;
      for (const id of batch) {
        const row = rows.get(id)!;
        if (
          (row.revokedAt !== null && row.revokedAt < before) ||
          row.idleExpiresAt < before ||
          row.absoluteExpiresAt < before
        ) {
          rows.delete(id);
          deleted++;
        }
      }
      return { deleted, cursor: batch.length < limit ? null : batch[batch.length - 1]! };
    },

    async lockPurge(): Promise<PurgeLock | null> {
      if (holder !== null) return null;
      const mine = {};
      holder = mine;
      return {
        async check() {
          if (holder !== mine) throw new KitStoreUnavailableError();
        },
        async release() {
          if (holder === mine) holder = null;
        },
      };
    },
  };
}

/**
 * A {@link SessionStore} in the memory of one process, for unit tests and single-process
 * development: it passes the same conformance suite (`@kit/core/testing`) as the PostgreSQL store,
 * so refresh, grace, reuse detection and expiry behave as they do in production, with expiry
 * decided by the kit's own (injectable) clock.
 *
 * It keeps nothing across restarts, and it is not shared between instances: a second process, or
 * a second edge isolate, has sessions of its own, so a refresh token opened on one is unknown to
 * the other. Use the PostgreSQL store (`createMikroOrmStore` from `@kit/core/mikro-orm`) for
 * anything that runs more than one instance or must survive a restart. Kits of one process may
 * share one store object, as instances share a database.
 *
 * Every method changes the store in one synchronous step (no `await` between reading a row and
 * writing it), so concurrent callers in the process see the atomicity contract of
 * {@link SessionStore}: of N concurrent rotations of one generation, exactly one wins. Records go
 * in and come out as copies, with ids in lower case and `data` through JSON, as PostgreSQL returns
 * them. The purge lock is held until its holder releases it.
 *
 * @example
 * ```ts
 * import { createAuthKit, createMemorySessionStore } from '@kit/core';
 *
 * let now = Date.UTC(2030, 0, 1);
 * const kit = await createAuthKit({ ...options, store: createMemorySessionStore(), clock: () => now });
 * const { refreshToken } = await kit.createSession({ userId: 'user-1' });
 * now += 31 * 86_400_000; // past the idle expiry: kit.refresh(refreshToken) rejects with ERR_SESSION_EXPIRED
 * ```
 */
export function createMemorySessionStore(): SessionStore {
  const rows: Rows = new Map();
  return {
    ...changes(rows),
    ...purging(rows),
    async find(id) {
      const row = rows.get(id.toLowerCase());
      return row ? copy(row) : null;
    },
    async list(userId, { status, now, limit }) {
      return [...rows.values()]
        .filter((row) => row.userId === userId && hasStatus(row, status, now))
        .sort(
          (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
        )
        .slice(0, limit)
        .map(copy);
    },
    async count(userId, { status, now }) {
      let count = 0;
      for (const row of rows.values()) if (row.userId === userId && hasStatus(row, status, now)) count++;
      return count;
    },
    async listRevoked({ since }) {
      const ids: string[] = [];
      for (const row of rows.values()) {
        if (row.revokedAt !== null && row.revokedAt >= since && row.lastRefreshedAt >= since) {
          ids.push(row.id);
        }
      }
      return ids;
    },
    async ping() {},
  };
}
