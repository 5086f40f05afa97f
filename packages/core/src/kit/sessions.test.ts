import { createMemoryKitFixture, expectKitError, type MemoryKitFixture } from '@kit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DAY = 86_400_000;

describe('session administration', () => {
  let f: MemoryKitFixture;
  beforeAll(async () => {
    f = await createMemoryKitFixture({ sessionIdleTtl: '2d', sessionMaxAge: '10d' });
  });
  afterAll(async () => {
    await f.close();
  });

  it('lists and counts a user’s sessions by status, newest first', async () => {
    const a = await f.kit.createSession({ userId: 'lister', userAgent: 'phone' });
    f.clock.advance(1000);
    const b = await f.kit.createSession({ userId: 'lister', userAgent: 'laptop' });
    f.clock.advance(1000);
    const c = await f.kit.createSession({ userId: 'lister' });
    await f.kit.createSession({ userId: 'someone-else' });
    await f.kit.sessions.revoke(c.session.id);
    expect((await f.kit.sessions.list('lister')).map((s) => s.id)).toEqual([b.session.id, a.session.id]);
    expect(await f.kit.sessions.count('lister')).toBe(2);
    expect(await f.kit.sessions.count('lister', { status: 'revoked' })).toBe(1);
    expect(await f.kit.sessions.count('lister', { status: 'all' })).toBe(3);
    expect(await f.kit.sessions.list('lister', { limit: 1 })).toHaveLength(1);
    f.clock.advance(3 * DAY);
    expect(await f.kit.sessions.count('lister', { status: 'expired' })).toBe(2);
    expect(await f.kit.sessions.list('lister')).toEqual([]);
  });

  it('never exposes the secret hash', async () => {
    const t = await f.kit.createSession({ userId: 'no-hash' });
    const session = await f.kit.sessions.get(t.session.id);
    expect(session).not.toHaveProperty('secretHash');
    expect(JSON.stringify(session)).not.toMatch(/secret/i);
    expect(t.session).not.toHaveProperty('secretHash');
  });

  it('revokes one session, only for its owner when asked', async () => {
    const t = await f.kit.createSession({ userId: 'owner' });
    expect(await f.kit.sessions.revoke(t.session.id, { userId: 'intruder' })).toBeNull();
    expect(
      (await f.kit.sessions.revoke(t.session.id, { userId: 'owner', reason: 'logout' }))?.revokedReason,
    ).toBe('logout');
    expect(await f.kit.sessions.revoke(t.session.id)).toBeNull();
    expect(await f.kit.sessions.revoke('not-a-uuid')).toBeNull();
    await expectKitError(f.kit.sessions.revoke(t.session.id, { reason: 'Bad Reason!' }), 'ERR_INVALID_INPUT');
  });

  it('revokes all sessions of a user, or all but the current one', async () => {
    const keep = await f.kit.createSession({ userId: 'many' });
    const other1 = await f.kit.createSession({ userId: 'many' });
    const other2 = await f.kit.createSession({ userId: 'many' });
    const revoked = await f.kit.sessions.revokeAll('many', { except: keep.session.id, reason: 'others' });
    expect(revoked.map((s) => s.id).sort()).toEqual([other1.session.id, other2.session.id].sort());
    expect(revoked.every((s) => s.status === 'revoked' && s.revokedReason === 'others')).toBe(true);
    await expect(f.kit.refresh(other1.refreshToken)).rejects.toMatchObject({ code: 'ERR_SESSION_REVOKED' });
    await expect(f.kit.refresh(keep.refreshToken)).resolves.toBeTruthy();
    expect(await f.kit.sessions.revokeAll('many')).toHaveLength(1);
    expect(await f.kit.sessions.count('many')).toBe(0);
  });

  it('attaches JSON data without changing any token', async () => {
    const t = await f.kit.createSession({ userId: 'data', data: { theme: 'dark' } });
    const updated = await f.kit.sessions.updateData(t.session.id, { theme: 'light', cart: [1, 2, 3] });
    expect(updated.data).toEqual({ theme: 'light', cart: [1, 2, 3] });
    const next = await f.kit.refresh(t.refreshToken);
    expect(next.refreshToken.length).toBe(t.refreshToken.length);
    expect(next.accessToken).not.toContain('cart');
    expect((await f.kit.verifyAccessToken(next.accessToken)).cart).toBeUndefined();
  });

  it('rejects bad data clearly and keeps the old data', async () => {
    const t = await f.kit.createSession({ userId: 'bad-data', data: { ok: true } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const data of [
      null,
      [],
      'x',
      42,
      new Date(),
      cyclic,
      { big: 'x'.repeat(20_000) },
      { nul: 'a\u0000b' },
    ]) {
      await expectKitError(f.kit.sessions.updateData(t.session.id, data as never), 'ERR_INVALID_INPUT');
    }
    await expectKitError(f.kit.createSession({ userId: 'bad-data', data: [] as never }), 'ERR_INVALID_INPUT');
    expect((await f.kit.sessions.get(t.session.id))?.data).toEqual({ ok: true });
    await f.kit.sessions.revoke(t.session.id);
    await expectKitError(f.kit.sessions.updateData(t.session.id, { x: 1 }), 'ERR_SESSION_NOT_FOUND');
  });

  it('validates user ids and client details', async () => {
    for (const userId of ['', 'x'.repeat(256), 42, null]) {
      await expectKitError(f.kit.createSession({ userId: userId as never }), 'ERR_INVALID_INPUT');
    }
    await expectKitError(f.kit.createSession({ userId: 'u', ip: 'x'.repeat(65) }), 'ERR_INVALID_INPUT');
    const t = await f.kit.createSession({ userId: 'u', userAgent: 'a'.repeat(2000) });
    expect(t.session.userAgent).toHaveLength(512);
    await expectKitError(f.kit.sessions.list('u', { limit: 0 }), 'ERR_INVALID_INPUT');
    await expectKitError(f.kit.sessions.list('u', { status: 'nope' as never }), 'ERR_INVALID_INPUT');
  });

  it('revokes the session of a genuine refresh token (RFC 7009), and ignores anything else', async () => {
    const t0 = await f.kit.createSession({ userId: 'revoker' });
    const t1 = await f.kit.refresh(t0.refreshToken);
    expect(await f.kit.revokeRefreshToken('kit_rt_garbage')).toBe(false);
    expect(await f.kit.revokeRefreshToken(`${t1.refreshToken.slice(0, -2)}AA`)).toBe(false);
    expect(await f.kit.revokeRefreshToken(t1.refreshToken)).toBe(true);
    expect(await f.kit.revokeRefreshToken(t1.refreshToken)).toBe(false);
    expect((await f.kit.sessions.get(t0.session.id))?.revokedReason).toBe('logout');
  });

  it('purges expired and revoked sessions in batches, keeping the rest', async () => {
    const kit = f.kit;
    const live = await kit.createSession({ userId: 'purge' });
    const dead = await Promise.all(Array.from({ length: 12 }, () => kit.createSession({ userId: 'purge' })));
    await kit.sessions.revoke(dead[0]!.session.id);
    for (const d of dead.slice(1)) await kit.sessions.extend(d.session.id, { idle: 60 });
    f.clock.advance(120_000);
    await kit.sessions.purgeExpired({ retain: '1h', batchSize: 5 });
    // Dead for two minutes only: retained.
    for (const d of dead) expect(await kit.sessions.get(d.session.id)).not.toBeNull();
    f.clock.advance(3_600_000);
    const deleted = await kit.sessions.purgeExpired({ retain: '1h', batchSize: 5 });
    expect(deleted).toBeGreaterThanOrEqual(12);
    for (const d of dead) expect(await kit.sessions.get(d.session.id)).toBeNull();
    expect((await kit.sessions.get(live.session.id))?.status).toBe('active');
  });

  it('runs a pruner that purges on demand and stops cleanly', async () => {
    const t = await f.kit.createSession({ userId: 'pruned' });
    await f.kit.sessions.revoke(t.session.id);
    f.clock.advance(1000);
    const runs: number[] = [];
    const pruner = f.kit.startPruner({ interval: '1h', retain: 0, onRun: (n) => runs.push(n) });
    const deleted = await pruner.runNow();
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(await f.kit.sessions.get(t.session.id)).toBeNull();
    await pruner.stop();
    await pruner.stop();
    expect(runs).toEqual([deleted]);
  });
});
