import { expect, it } from 'vitest';
import type { SessionStore } from '../store/session-store.ts';
import { at, DAY, record } from './session-store-records.ts';

/**
 * The conformance cases of administering sessions: revocation, the revocation index, listing and
 * counting, data and expiry updates, the purge and its lock, and `ping`. Called inside the suite's
 * `describe`.
 */
export function administrationCases(getStore: () => SessionStore): void {
  revocationCases(getStore);
  listingCases(getStore);
  purgeCases(getStore);
}

/** Revoking one session or a user's, and the index of recent revocations. */
function revocationCases(getStore: () => SessionStore): void {
  it('revokes once, respecting the owner filter', async () => {
    const store = getStore();
    const r = record();
    await store.insert(r);
    expect(await store.revoke(r.id, { reason: 'x', now: at(1), userId: 'not-the-owner' })).toBeNull();
    const revoked = await store.revoke(r.id, { reason: 'logout', now: at(2), userId: r.userId });
    expect(revoked).toMatchObject({ revokedAt: at(2), revokedReason: 'logout' });
    expect(await store.revoke(r.id, { reason: 'again', now: at(3) })).toBeNull();
    expect((await store.find(r.id))?.revokedReason).toBe('logout');
  });

  it('lists revoked sessions whose last access token may be live (optional listRevoked)', async () => {
    const store = getStore();
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
    const store = getStore();
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
}

/** Listing and counting by status, and the updates of data and expiry. */
function listingCases(getStore: () => SessionStore): void {
  it('lists and counts by status, newest first', async () => {
    const store = getStore();
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
    const store = getStore();
    const r = record();
    await store.insert(r);
    expect((await store.updateData(r.id, { theme: 'dark' }))?.data).toEqual({ theme: 'dark' });
    await store.revoke(r.id, { reason: 'x', now: at(1) });
    expect(await store.updateData(r.id, { theme: 'light' })).toBeNull();
    expect((await store.find(r.id))?.data).toEqual({ theme: 'dark' });
  });

  it('updates expiry by state: active for extend, expired for revalidate', async () => {
    const store = getStore();
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
}

/** The purge, its lock and `ping`. */
function purgeCases(getStore: () => SessionStore): void {
  it('purges dead rows in bounded batches and keeps live ones', async () => {
    const store = getStore();
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
    const store = getStore();
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
    const store = getStore();
    if (!store.ping) return; // optional: kit.checkReady() then reads one nonexistent session
    const r = record();
    await store.insert(r);
    await expect(store.ping()).resolves.toBeUndefined();
    await Promise.all(Array.from({ length: 5 }, () => store.ping!()));
    expect(await store.find(r.id)).toEqual(r);
  });
}
