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

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
  const rows = new Map<string, SessionRecord>();
  let purgeHolder: object | null = null;

  const get = (id: string) => rows.get(id.toLowerCase());
  const out = (row: SessionRecord | undefined) => (row ? copy(row) : null);

  return {
    async insert(record) {
      const row = copy(record);
      if (rows.has(row.id)) {
        throw new KitStoreFailureError('The session store failed during insert: the session id exists.');
      }
      rows.set(row.id, row);
    },

    async rotate(input) {
      const row = get(input.id);
      if (
        !row ||
        row.generation !== input.generation ||
        !equalBytes(row.secretHash, input.secretHash) ||
        !isLive(row, input.now)
      ) {
        return null;
      }
      row.generation += 1;
      row.secretHash = new Uint8Array(input.nextSecretHash);
      row.rotatedAt = new Date(input.now.getTime());
      row.lastRefreshedAt = new Date(input.now.getTime());
      row.idleExpiresAt = new Date(earliest(input.idleExpiresAt, row.absoluteExpiresAt).getTime());
      row.userAgent = input.userAgent ?? row.userAgent;
      row.ip = input.ip ?? row.ip;
      return copy(row);
    },

    async touch(input) {
      const row = get(input.id);
      if (
        !row ||
        row.generation !== input.generation ||
        !equalBytes(row.secretHash, input.secretHash) ||
        !isLive(row, input.now)
      ) {
        return null;
      }
      row.lastRefreshedAt = new Date(input.now.getTime());
      row.idleExpiresAt = new Date(earliest(input.idleExpiresAt, row.absoluteExpiresAt).getTime());
      return copy(row);
    },

    async find(id) {
      return out(get(id));
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

    async revoke(id, { reason, now, userId }) {
      const row = get(id);
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
      const row = get(id);
      if (!row || row.revokedAt !== null) return null;
      row.data = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
      return copy(row);
    },

    async updateExpiry(id, { idleExpiresAt, absoluteExpiresAt, now, state }) {
      const row = get(id);
      if (!row || row.revokedAt !== null || isLive(row, now) !== (state === 'active')) return null;
      const absolute = absoluteExpiresAt ?? row.absoluteExpiresAt;
      row.idleExpiresAt = new Date(earliest(idleExpiresAt ?? row.idleExpiresAt, absolute).getTime());
      row.absoluteExpiresAt = new Date(absolute.getTime());
      return copy(row);
    },

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
      if (purgeHolder !== null) return null;
      const holder = {};
      purgeHolder = holder;
      return {
        async check() {
          if (purgeHolder !== holder) throw new KitStoreUnavailableError();
        },
        async release() {
          if (purgeHolder === holder) purgeHolder = null;
        },
      };
    },

    async listRevoked({ since }) {
      const ids: string[] = [];
      for (const row of rows.values()) {
        if (row.revokedAt !== null && row.revokedAt >= since && row.lastRefreshedAt >= since)
          ids.push(row.id);
      }
      return ids;
    },

    async ping() {},
  };
}
