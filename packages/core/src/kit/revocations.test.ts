import { createMemoryKitFixture, type MemoryKitFixture } from '@kit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSessionIds } from '../verify/revocation-format.ts';

describe('kit.revocations()', () => {
  let f: MemoryKitFixture;
  beforeAll(async () => {
    f = await createMemoryKitFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it('lists exactly the sessions revoked while one of their access tokens may be live', async () => {
    const ttl = f.kit.config.accessTokenTtl * 1000;
    const old = await f.kit.createSession({ userId: 'u-old' });
    f.clock.advance(ttl + 61_000);
    // Revoked now, but its last access token expired long ago: nothing for a verifier to reject.
    await f.kit.sessions.revoke(old.session.id);
    const active = await f.kit.createSession({ userId: 'u-active' });
    const revoked = await f.kit.createSession({ userId: 'u-revoked' });
    await f.kit.sessions.revoke(revoked.session.id);
    const others = [
      await f.kit.createSession({ userId: 'u-all' }),
      await f.kit.createSession({ userId: 'u-all' }),
    ];
    await f.kit.sessions.revokeAll('u-all');

    const list = await f.kit.revocations();
    const expected = [revoked.session.id, ...others.map((o) => o.session.id)].sort();
    expect([...list.sessionIds]).toEqual(expected);
    const body = JSON.parse(list.body);
    expect(body).toEqual({ v: 1, iat: f.clock.now(), sids: expect.any(String) });
    expect([...decodeSessionIds(body.sids)!].sort()).toEqual(expected);
    expect(list.sessionIds).not.toContain(active.session.id);
    expect(list.sessionIds).not.toContain(old.session.id);
    // 16 bytes per id: the compact encoding.
    expect(body.sids.length).toBe(Math.ceil((expected.length * 16 * 4) / 3));

    // Once the access-token lifetime (+ 60 s) has passed, the list empties again.
    f.clock.advance(ttl + 61_000);
    expect((await f.kit.revocations()).sessionIds).toEqual([]);
  });

  it('is cached for a second, refreshed at once after a local revocation, with a stable ETag', async () => {
    const a = await f.kit.createSession({ userId: 'cache' });
    const first = await f.kit.revocations();
    expect(await f.kit.revocations()).toBe(first); // same cached object
    f.clock.advance(1000);
    const second = await f.kit.revocations();
    expect(second).not.toBe(first);
    expect(second.etag).toBe(first.etag); // same ids, same tag, though iat moved
    await f.kit.sessions.revoke(a.session.id);
    const third = await f.kit.revocations(); // no clock change: the revocation invalidated the cache
    expect(third.sessionIds).toContain(a.session.id);
    expect(third.etag).not.toBe(first.etag);
    expect(third.etag).toMatch(/^"[A-Za-z0-9_-]{16}"$/);
  });

  it('sees revocations made by another instance within the one-second cache', async () => {
    const other = await f.makeKit();
    const s = await f.kit.createSession({ userId: 'elsewhere' });
    await f.kit.revocations();
    await other.sessions.revoke(s.session.id);
    expect((await f.kit.revocations()).sessionIds).not.toContain(s.session.id);
    f.clock.advance(1000);
    expect((await f.kit.revocations()).sessionIds).toContain(s.session.id);
  });
});
