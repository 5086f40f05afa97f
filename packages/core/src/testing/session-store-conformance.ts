import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord, SessionStore } from '../store/session-store.ts';

/**
 * What {@link describeSessionStoreConformance} needs: a fresh, migrated store, and how to dispose
 * of it.
 *
 * @example
 * ```ts
 * const fixture: StoreFixture = { store, cleanup: () => orm.close() };
 * ```
 */
export interface StoreFixture {
  store: SessionStore;
  cleanup?: () => Promise<void>;
}

const DAY = 86_400_000;

function hash(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}

let counter = 0;
function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = overrides.createdAt?.getTime() ?? Date.UTC(2030, 0, 1);
  counter++;
  return {
    id: crypto.randomUUID(),
    userId: `conformance-user-${counter}`,
    clientId: 'conformance',
    createdAt: new Date(now),
    lastRefreshedAt: new Date(now),
    idleExpiresAt: new Date(now + 30 * DAY),
    absoluteExpiresAt: new Date(now + 90 * DAY),
    revokedAt: null,
    revokedReason: null,
    userAgent: 'agent',
    ip: '127.0.0.1',
    data: { a: 1 },
    generation: 0,
    secretHash: hash(1),
    rotatedAt: null,
    ...overrides,
  };
}

/**
 * The conformance suite every {@link SessionStore} must pass: the atomicity contract written on
 * the interface, checked against the real backend (including concurrent rotations). Call it at
 * the top level of a vitest test file.
 *
 * Exported from `@kit/core/testing` (needs `vitest`).
 *
 * @example
 * ```ts
 * import { describeSessionStoreConformance } from '@kit/core/testing';
 * import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
 *
 * describeSessionStoreConformance('MikroORM store', async () => {
 *   const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 *   await migrate(orm);
 *   return { store: createMikroOrmStore({ orm }), cleanup: () => orm.close() };
 * });
 * ```
 */
export function describeSessionStoreConformance(
  name: string,
  createFixture: () => Promise<StoreFixture>,
): void {
  describe(`SessionStore conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let store: SessionStore;
    const t0 = new Date(Date.UTC(2030, 0, 1));
    const at = (ms: number) => new Date(t0.getTime() + ms);

    beforeAll(async () => {
      fixture = await createFixture();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.cleanup?.();
    });

    it('inserts and finds a record exactly as given', async () => {
      const r = record({ data: { nested: { list: [1, 'two', null] } }, userAgent: null, ip: null });
      await store.insert(r);
      expect(await store.find(r.id)).toEqual(r);
      expect(await store.find(crypto.randomUUID())).toBeNull();
    });

    it('rejects a second insert with the same id', async () => {
      const r = record();
      await store.insert(r);
      await expect(store.insert({ ...r, userId: 'someone-else' })).rejects.toBeTruthy();
      expect((await store.find(r.id))?.userId).toBe(r.userId);
    });

    it('rotates only with the matching generation and hash, once', async () => {
      const r = record();
      await store.insert(r);
      const base = { id: r.id, nextSecretHash: hash(2), now: at(1000), idleExpiresAt: at(1000 + 30 * DAY) };
      expect(await store.rotate({ ...base, generation: 1, secretHash: hash(1) })).toBeNull();
      expect(await store.rotate({ ...base, generation: 0, secretHash: hash(9) })).toBeNull();
      const rotated = await store.rotate({
        ...base,
        generation: 0,
        secretHash: hash(1),
        userAgent: 'new agent',
      });
      expect(rotated).toMatchObject({
        generation: 1,
        secretHash: hash(2),
        rotatedAt: at(1000),
        lastRefreshedAt: at(1000),
        idleExpiresAt: at(1000 + 30 * DAY),
        userAgent: 'new agent',
        ip: '127.0.0.1',
      });
      expect(await store.rotate({ ...base, generation: 0, secretHash: hash(1) })).toBeNull();
      expect(await store.find(r.id)).toEqual(rotated);
    });

    it('gives exactly one winner among concurrent rotations of one generation', async () => {
      const r = record();
      await store.insert(r);
      const results = await Promise.all(
        Array.from({ length: 25 }, () =>
          store.rotate({
            id: r.id,
            generation: 0,
            secretHash: hash(1),
            nextSecretHash: hash(2),
            now: at(5000),
            idleExpiresAt: at(5000 + DAY),
          }),
        ),
      );
      expect(results.filter((x) => x !== null)).toHaveLength(1);
      expect((await store.find(r.id))?.generation).toBe(1);
    });

    it('decides each of many concurrent rotations of different sessions on its own', async () => {
      // Stores may group concurrent rotations (one statement for many sessions): each input must
      // still match or not exactly as it would alone, and get its own session's row back.
      const live = Array.from({ length: 12 }, (_, i) => record({ secretHash: hash(10 + i) }));
      const revoked = record();
      const expired = record({ idleExpiresAt: at(10), absoluteExpiresAt: at(DAY) });
      for (const r of [...live, revoked, expired]) await store.insert(r);
      await store.revoke(revoked.id, { reason: 'test', now: at(0) });
      const rotation = (r: SessionRecord, overrides: Partial<Parameters<SessionStore['rotate']>[0]> = {}) =>
        store.rotate({
          id: r.id,
          generation: 0,
          secretHash: r.secretHash,
          nextSecretHash: hash(200),
          now: at(100),
          idleExpiresAt: at(100 + DAY),
          ...overrides,
        });
      const [good, stale, wrongHash, twice, agent, ...rest] = live as [SessionRecord, ...SessionRecord[]];
      const results = await Promise.all([
        ...live.slice(5).map((r, i) => rotation(r, { nextSecretHash: hash(100 + i) })),
        rotation(good!),
        rotation(stale!, { generation: 1 }),
        rotation(wrongHash!, { secretHash: hash(99) }),
        rotation(twice!),
        rotation(twice!),
        rotation(agent!, { userAgent: 'other agent', ip: '10.0.0.1' }),
        rotation(revoked, { now: at(1) }),
        rotation(expired, { now: at(10) }),
        rotation(record()),
      ]);
      const [goodResult, staleResult, wrongResult, twiceA, twiceB, agentResult, ...others] = results.slice(
        rest.length,
      );
      results.slice(0, rest.length).forEach((result, i) => {
        expect(result).toMatchObject({ id: rest[i]!.id, generation: 1, secretHash: hash(100 + i) });
      });
      expect(goodResult).toMatchObject({ id: good!.id, generation: 1, secretHash: hash(200) });
      expect(staleResult).toBeNull();
      expect(wrongResult).toBeNull();
      expect([twiceA, twiceB].filter((x) => x !== null)).toEqual([
        expect.objectContaining({ id: twice!.id, generation: 1 }),
      ]);
      expect(agentResult).toMatchObject({ id: agent!.id, userAgent: 'other agent', ip: '10.0.0.1' });
      expect(others).toEqual([null, null, null]);
      expect((await store.find(stale!.id))?.generation).toBe(0);
      expect((await store.find(wrongHash!.id))?.generation).toBe(0);
      expect((await store.find(twice!.id))?.generation).toBe(1);
      expect((await store.find(revoked.id))?.generation).toBe(0);
    });

    it('never rotates a revoked or expired session', async () => {
      const revoked = record();
      await store.insert(revoked);
      await store.revoke(revoked.id, { reason: 'test', now: at(0) });
      const expired = record({ idleExpiresAt: at(10), absoluteExpiresAt: at(DAY) });
      await store.insert(expired);
      const pastAbsolute = record({ idleExpiresAt: at(DAY), absoluteExpiresAt: at(DAY) });
      await store.insert(pastAbsolute);
      const input = {
        generation: 0,
        secretHash: hash(1),
        nextSecretHash: hash(2),
        idleExpiresAt: at(2 * DAY),
      };
      expect(await store.rotate({ ...input, id: revoked.id, now: at(1) })).toBeNull();
      expect(await store.rotate({ ...input, id: expired.id, now: at(10) })).toBeNull();
      expect(await store.rotate({ ...input, id: pastAbsolute.id, now: at(DAY) })).toBeNull();
    });

    it('touches only the exact live state, and a revocation wins', async () => {
      const r = record({ generation: 0 });
      await store.insert(r);
      const base = { id: r.id, now: at(1000), idleExpiresAt: at(1000 + DAY) };
      expect(await store.touch({ ...base, generation: 1, secretHash: hash(1) })).toBeNull();
      expect(await store.touch({ ...base, generation: 0, secretHash: hash(7) })).toBeNull();
      const touched = await store.touch({ ...base, generation: 0, secretHash: hash(1) });
      expect(touched).toMatchObject({
        generation: 0,
        secretHash: hash(1),
        lastRefreshedAt: at(1000),
        idleExpiresAt: at(1000 + DAY),
      });
      await store.revoke(r.id, { reason: 'x', now: at(2000) });
      expect(await store.touch({ ...base, generation: 0, secretHash: hash(1), now: at(3000) })).toBeNull();
      const expired = record({ idleExpiresAt: at(10) });
      await store.insert(expired);
      expect(
        await store.touch({
          id: expired.id,
          generation: 0,
          secretHash: hash(1),
          now: at(10),
          idleExpiresAt: at(DAY),
        }),
      ).toBeNull();
    });

    it('caps the slid idle expiry at the absolute expiry', async () => {
      const r = record({ absoluteExpiresAt: at(DAY) });
      await store.insert(r);
      const rotated = await store.rotate({
        id: r.id,
        generation: 0,
        secretHash: hash(1),
        nextSecretHash: hash(2),
        now: at(1),
        idleExpiresAt: at(10 * DAY),
      });
      expect(rotated?.idleExpiresAt).toEqual(at(DAY));
    });

    it('revokes once, respecting the owner filter', async () => {
      const r = record();
      await store.insert(r);
      expect(await store.revoke(r.id, { reason: 'x', now: at(1), userId: 'not-the-owner' })).toBeNull();
      const revoked = await store.revoke(r.id, { reason: 'logout', now: at(2), userId: r.userId });
      expect(revoked).toMatchObject({ revokedAt: at(2), revokedReason: 'logout' });
      expect(await store.revoke(r.id, { reason: 'again', now: at(3) })).toBeNull();
      expect((await store.find(r.id))?.revokedReason).toBe('logout');
    });

    it('lists revoked sessions whose last access token may be live (optional listRevoked)', async () => {
      if (!store.listRevoked) return; // optional: without it kit.revocations() is unavailable
      const base = 1000 * DAY; // a window no other test writes to
      const live = record({ createdAt: at(base) });
      const stale = record({ createdAt: at(base - 10 * 60_000) }); // last refreshed before `since`
      const active = record({ createdAt: at(base) });
      for (const r of [live, stale, active]) await store.insert(r);
      await store.revoke(live.id, { reason: 'x', now: at(base + 1000) });
      await store.revoke(stale.id, { reason: 'x', now: at(base + 1000) });
      const listed = await store.listRevoked({ since: at(base - 60_000) });
      expect(listed).toContain(live.id);
      expect(listed).not.toContain(stale.id);
      expect(listed).not.toContain(active.id);
      expect(await store.listRevoked({ since: at(base + 2000) })).not.toContain(live.id);
    });

    it('revokes all of a user but one, and only that user', async () => {
      const userId = `bulk-${crypto.randomUUID()}`;
      const rows = [record({ userId }), record({ userId }), record({ userId })];
      const other = record();
      for (const r of [...rows, other]) await store.insert(r);
      const revoked = await store.revokeByUser(userId, {
        reason: 'others',
        now: at(1),
        exceptId: rows[0]!.id,
      });
      expect(revoked.map((r) => r.id).sort()).toEqual([rows[1]!.id, rows[2]!.id].sort());
      expect((await store.find(rows[0]!.id))?.revokedAt).toBeNull();
      expect((await store.find(other.id))?.revokedAt).toBeNull();
      expect(await store.revokeByUser(userId, { reason: 'global', now: at(2) })).toHaveLength(1);
    });

    it('lists and counts by status, newest first', async () => {
      const userId = `list-${crypto.randomUUID()}`;
      const active = record({ userId, createdAt: at(0) });
      const newer = record({ userId, createdAt: at(1000) });
      const expired = record({
        userId,
        createdAt: at(-DAY),
        idleExpiresAt: at(-1),
        absoluteExpiresAt: at(DAY),
      });
      const revoked = record({ userId, createdAt: at(2000) });
      for (const r of [active, newer, expired, revoked]) await store.insert(r);
      await store.revoke(revoked.id, { reason: 'x', now: at(2000) });
      const now = at(5000);
      expect((await store.list(userId, { status: 'active', now, limit: 10 })).map((r) => r.id)).toEqual([
        newer.id,
        active.id,
      ]);
      expect((await store.list(userId, { status: 'expired', now, limit: 10 })).map((r) => r.id)).toEqual([
        expired.id,
      ]);
      expect((await store.list(userId, { status: 'revoked', now, limit: 10 })).map((r) => r.id)).toEqual([
        revoked.id,
      ]);
      expect(await store.list(userId, { status: 'all', now, limit: 2 })).toHaveLength(2);
      expect(await store.count(userId, { status: 'active', now })).toBe(2);
      expect(await store.count(userId, { status: 'all', now })).toBe(4);
      expect(await store.count(`nobody-${crypto.randomUUID()}`, { status: 'all', now })).toBe(0);
    });

    it('updates data of unrevoked sessions only', async () => {
      const r = record();
      await store.insert(r);
      expect((await store.updateData(r.id, { theme: 'dark' }))?.data).toEqual({ theme: 'dark' });
      await store.revoke(r.id, { reason: 'x', now: at(1) });
      expect(await store.updateData(r.id, { theme: 'light' })).toBeNull();
      expect((await store.find(r.id))?.data).toEqual({ theme: 'dark' });
    });

    it('updates expiry by state: active for extend, expired for revalidate', async () => {
      const r = record({ idleExpiresAt: at(100), absoluteExpiresAt: at(DAY) });
      await store.insert(r);
      const change = { idleExpiresAt: at(2 * DAY), absoluteExpiresAt: at(3 * DAY) };
      expect(await store.updateExpiry(r.id, { ...change, now: at(50), state: 'expired' })).toBeNull();
      expect(await store.updateExpiry(r.id, { ...change, now: at(200), state: 'active' })).toBeNull();
      const revalidated = await store.updateExpiry(r.id, { ...change, now: at(200), state: 'expired' });
      expect(revalidated).toMatchObject({ idleExpiresAt: at(2 * DAY), absoluteExpiresAt: at(3 * DAY) });
      const shortened = await store.updateExpiry(r.id, {
        idleExpiresAt: at(5 * DAY),
        absoluteExpiresAt: at(DAY),
        now: at(300),
        state: 'active',
      });
      expect(shortened).toMatchObject({ idleExpiresAt: at(DAY), absoluteExpiresAt: at(DAY) });
      const onlyAbsolute = await store.updateExpiry(r.id, {
        idleExpiresAt: null,
        absoluteExpiresAt: at(4 * DAY),
        now: at(350),
        state: 'active',
      });
      expect(onlyAbsolute).toMatchObject({ idleExpiresAt: at(DAY), absoluteExpiresAt: at(4 * DAY) });
      const onlyIdle = await store.updateExpiry(r.id, {
        idleExpiresAt: at(2 * DAY),
        absoluteExpiresAt: null,
        now: at(360),
        state: 'active',
      });
      expect(onlyIdle).toMatchObject({ idleExpiresAt: at(2 * DAY), absoluteExpiresAt: at(4 * DAY) });
      await store.revoke(r.id, { reason: 'x', now: at(400) });
      expect(await store.updateExpiry(r.id, { ...change, now: at(500), state: 'active' })).toBeNull();
    });

    it('purges dead rows in bounded batches and keeps live ones', async () => {
      const userId = `purge-${crypto.randomUUID()}`;
      const far = at(1000 * DAY);
      const live = Array.from({ length: 7 }, () =>
        record({ userId, idleExpiresAt: at(2000 * DAY), absoluteExpiresAt: at(2000 * DAY) }),
      );
      const dead = Array.from({ length: 9 }, () =>
        record({ userId, idleExpiresAt: at(DAY), absoluteExpiresAt: at(2 * DAY) }),
      );
      const revokedLate = record({
        userId,
        idleExpiresAt: at(2000 * DAY),
        absoluteExpiresAt: at(2000 * DAY),
      });
      for (const r of [...live, ...dead, revokedLate]) await store.insert(r);
      await store.revoke(revokedLate.id, { reason: 'x', now: at(1500 * DAY) }); // after `before`: kept
      let cursor: string | undefined;
      let deleted = 0;
      let calls = 0;
      do {
        const batch = await store.purge({ before: far, limit: 4, after: cursor });
        expect(batch.deleted).toBeLessThanOrEqual(4);
        deleted += batch.deleted;
        cursor = batch.cursor ?? undefined;
        calls++;
      } while (cursor !== undefined && calls < 10_000);
      // Other tests' rows may be dead too; ours must all be gone.
      expect(deleted).toBeGreaterThanOrEqual(dead.length);
      for (const r of dead) expect(await store.find(r.id)).toBeNull();
      for (const r of [...live, revokedLate]) expect(await store.find(r.id)).not.toBeNull();
    });

    it('admits one purge-lock holder at a time, without waiting (when it has lockPurge)', async () => {
      if (!store.lockPurge) return; // optional: purges are then not coordinated
      const held = await store.lockPurge();
      expect(held).not.toBeNull();
      try {
        // A second taker is refused at once, not queued behind the holder.
        expect(await store.lockPurge()).toBeNull();
        await expect(held!.check()).resolves.toBeUndefined();
      } finally {
        await held!.release();
      }
      await held!.release(); // idempotent
      const again = await store.lockPurge();
      expect(again).not.toBeNull();
      await again!.release();
    });

    it('answers ping while it works, changing nothing (when it has ping)', async () => {
      if (!store.ping) return; // optional: kit.checkReady() then reads one nonexistent session
      const r = record();
      await store.insert(r);
      await expect(store.ping()).resolves.toBeUndefined();
      await Promise.all(Array.from({ length: 5 }, () => store.ping!()));
      expect(await store.find(r.id)).toEqual(r);
    });
  });
}
