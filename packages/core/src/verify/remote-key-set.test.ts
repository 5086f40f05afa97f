import { expectKitError } from '@kit/test-support';
import { createRemoteSetup, createTestKey, jwksOf, mint } from '@kit/test-support/verifier';
import { describe, expect, it, vi } from 'vitest';
import { createVerifier } from './index.ts';
import { cacheMaxAgeSeconds, MAX_CACHE_SECONDS } from './remote-key-set.ts';

// A remote JWKS: fetching and caching, unknown kids and rotation, single flight.

// Top-level, not in `beforeAll`: the `it.each` tables below are built when the file is collected.
const [key1, key2, rsa] = await Promise.all([
  createTestKey('ES256', 'key-1'),
  createTestKey('ES256', 'key-2'),
  createTestKey('RS256', 'rsa-1'),
]);

const SECOND = 1000;

const setup = createRemoteSetup(createVerifier);

describe('remote JWKS: fetching and caching', () => {
  it('fetches lazily, on the first verification, and then serves from the cache', async () => {
    const { server, verify, tokenOf } = setup({ body: jwksOf(key1) });
    expect(server.calls).toBe(0);
    await expect(verify(await tokenOf(key1))).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verify(await tokenOf(key1))).resolves.toMatchObject({ sub: 'user-1' });
    expect(server.calls).toBe(1);
    expect(server.requests[0]!.url).toBe(server.url);
    expect(server.requests[0]!.init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('honours Cache-Control max-age: no refetch before it, one refetch after it', async () => {
    const { server, verify, tokenOf, clock } = setup({
      body: jwksOf(key1),
      headers: { 'cache-control': 'public, max-age=120' },
    });
    await verify(await tokenOf(key1));
    clock.advance(119 * SECOND);
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(1);
    clock.advance(2 * SECOND);
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(2);
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(2);
  });

  it('subtracts the Age header from max-age', async () => {
    const { server, verify, tokenOf, clock } = setup({
      body: jwksOf(key1),
      headers: { 'cache-control': 'max-age=120', age: '60' },
    });
    await verify(await tokenOf(key1));
    clock.advance(61 * SECOND);
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(2);
  });

  it('falls back to cacheMaxAge (default 5 minutes) without a max-age', async () => {
    const { server, verify, tokenOf, clock } = setup({ body: jwksOf(key1) });
    await verify(await tokenOf(key1));
    clock.advance(299 * SECOND);
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(1);
    clock.advance(2 * SECOND);
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(2);
  });

  it('uses a custom cacheMaxAge', async () => {
    const { server, verify, tokenOf, clock } = setup({ body: jwksOf(key1) }, { cacheMaxAge: '1m' });
    await verify(await tokenOf(key1));
    clock.advance(61 * SECOND);
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(2);
  });

  it('uses a no-store set once, then refetches on the next use once the cooldown allows', async () => {
    const { server, verify, tokenOf, clock } = setup({
      body: jwksOf(key1),
      headers: { 'cache-control': 'no-store' },
    });
    await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
    expect(server.calls).toBe(1);
    // Within the cooldown the keys already held serve: a no-store JWKS cannot make the verifier
    // fetch on every request.
    clock.advance(10 * SECOND);
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(1);
    clock.advance(21 * SECOND);
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(2);
  });

  it('with cooldown 0, a no-cache set is refetched on every use', async () => {
    const { server, verify, tokenOf } = setup(
      { body: jwksOf(key1), headers: { 'cache-control': 'no-cache' } },
      { cooldown: 0 },
    );
    for (let i = 1; i <= 3; i++) {
      await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
      expect(server.calls).toBe(i);
    }
  });

  it('stops trusting a key removed from the JWKS once the cache lifetime has passed', async () => {
    const { server, verify, tokenOf, clock } = setup({
      body: jwksOf(key1),
      headers: { 'cache-control': 'max-age=60' },
    });
    await verify(await tokenOf(key1));
    server.set({ body: jwksOf(key2), headers: { 'cache-control': 'max-age=60' } });
    clock.advance(61 * SECOND);
    const token = await tokenOf(key1);
    await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', { token });
    await expect(verify(await tokenOf(key2))).resolves.toBeDefined();
    expect(server.calls).toBe(2);
  });

  it('skips unusable keys and keeps the rest of the set', async () => {
    const { verify, tokenOf } = setup({
      body: {
        keys: [
          { kty: 'oct', kid: 'secret', k: 'c2VjcmV0' },
          { kty: 'EC', kid: 'broken', crv: 'P-256', x: 'AAAA', y: 'AAAA' },
          { ...key2.jwk, use: 'enc' },
          { ...key2.jwk, kid: undefined },
          'not a key',
          null,
          key1.jwk,
        ],
      },
    });
    await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
    await expectKitError(verify(await tokenOf(key2)), 'ERR_JWKS_NO_MATCHING_KEY');
  });
});

describe('remote JWKS: unknown kid and rotation', () => {
  it('an unknown kid triggers exactly one refetch per cooldown', async () => {
    const { server, verify, tokenOf, clock } = setup({ body: jwksOf(key1) });
    await verify(await tokenOf(key1));
    expect(server.calls).toBe(1);
    // The first fetch opened a cooldown window: no refetch inside it.
    const unknown = await tokenOf(key2);
    await expectKitError(verify(unknown), 'ERR_JWKS_NO_MATCHING_KEY', { token: unknown });
    expect(server.calls).toBe(1);

    clock.advance(31 * SECOND);
    const tokens = await Promise.all([tokenOf(key2), tokenOf(key2), tokenOf(key2)]);
    for (const token of tokens) await expectKitError(verify(token), 'ERR_JWKS_NO_MATCHING_KEY', { token });
    expect(server.calls).toBe(2);

    clock.advance(29 * SECOND);
    await expectKitError(verify(await tokenOf(key2)), 'ERR_JWKS_NO_MATCHING_KEY');
    expect(server.calls).toBe(2);
    clock.advance(2 * SECOND);
    await expectKitError(verify(await tokenOf(key2)), 'ERR_JWKS_NO_MATCHING_KEY');
    expect(server.calls).toBe(3);
  });

  it('honours a custom cooldown', async () => {
    const { server, verify, tokenOf, clock } = setup({ body: jwksOf(key1) }, { cooldown: '2m' });
    await verify(await tokenOf(key1));
    clock.advance(61 * SECOND);
    await expectKitError(verify(await tokenOf(key2)), 'ERR_JWKS_NO_MATCHING_KEY');
    expect(server.calls).toBe(1);
    clock.advance(60 * SECOND);
    await expectKitError(verify(await tokenOf(key2)), 'ERR_JWKS_NO_MATCHING_KEY');
    expect(server.calls).toBe(2);
  });

  it('picks up a key published after rotation through the unknown-kid refetch', async () => {
    const { server, verify, tokenOf, clock } = setup({
      body: jwksOf(key1),
      headers: { 'cache-control': 'max-age=600' },
    });
    await verify(await tokenOf(key1));
    server.set({ body: jwksOf(key1, key2), headers: { 'cache-control': 'max-age=600' } });
    clock.advance(31 * SECOND);
    await expect(verify(await tokenOf(key2))).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verify(await tokenOf(key1))).resolves.toMatchObject({ sub: 'user-1' });
    expect(server.calls).toBe(2);
  });

  it('a known kid with a mismatched alg does not trigger a refetch', async () => {
    const { server, verify, tokenOf, clock } = setup({ body: jwksOf(key1, rsa) });
    await verify(await tokenOf(key1));
    clock.advance(31 * SECOND);
    const confused = await mint(
      { alg: 'RS256', kid: key1.kid, privateKey: rsa.privateKey },
      { nowMs: clock.now() },
    );
    await expectKitError(verify(confused), 'ERR_JWKS_NO_MATCHING_KEY', { token: confused });
    expect(server.calls).toBe(1);
  });

  it('disallowed algorithms and malformed tokens never trigger a fetch', async () => {
    const { server, verify } = setup({ body: jwksOf(key1) });
    await expectKitError(verify('a.b.c'), 'ERR_JWT_MALFORMED');
    const hs = await mint({ alg: 'HS256' as never, kid: 'x', privateKey: new Uint8Array(32) as never });
    await expectKitError(verify(hs), 'ERR_JWT_ALG_NOT_ALLOWED', { token: hs });
    expect(server.calls).toBe(0);
  });
});

describe('remote JWKS: single flight', () => {
  it('20 concurrent verifications share one fetch', async () => {
    const { server, verify, tokenOf } = setup({ body: jwksOf(key1) });
    const token = await tokenOf(key1);
    server.hold();
    const results = Array.from({ length: 20 }, () => verify(token));
    await vi.waitFor(() => expect(server.calls).toBe(1));
    server.release();
    const claims = await Promise.all(results);
    expect(claims).toHaveLength(20);
    expect(server.calls).toBe(1);
  });

  it('concurrent unknown-kid verifications share one refetch', async () => {
    const { server, verify, tokenOf, clock } = setup({ body: jwksOf(key1) });
    await verify(await tokenOf(key1));
    clock.advance(31 * SECOND);
    server.set({ body: jwksOf(key1, key2) });
    const token = await tokenOf(key2);
    server.hold();
    const results = Array.from({ length: 20 }, () => verify(token));
    await vi.waitFor(() => expect(server.calls).toBe(2));
    server.release();
    await Promise.all(results);
    expect(server.calls).toBe(2);
  });

  it('known keys keep verifying without waiting while an unknown-kid refetch is in flight', async () => {
    const { server, verify, tokenOf, clock } = setup({ body: jwksOf(key1) });
    await verify(await tokenOf(key1));
    clock.advance(31 * SECOND);
    server.set({ body: jwksOf(key1, key2) });
    server.hold();
    const pending = verify(await tokenOf(key2));
    await vi.waitFor(() => expect(server.calls).toBe(2));
    await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
    server.release();
    await expect(pending).resolves.toBeDefined();
  });

  it('abandons a shared fetch that never settles (a cancelled Worker request) after the timeout', async () => {
    const { clock, server, verify, tokenOf } = setup({ body: jwksOf(key1) }, { timeout: 5 });
    const token = await tokenOf(key1);
    server.hold(); // the first fetch never answers, like I/O of a request workerd cancelled
    const stuck = verify(token);
    stuck.catch(() => {});
    await vi.waitFor(() => expect(server.calls).toBe(1));
    clock.advance(5 * SECOND); // not yet: still shared
    const waiting = verify(token);
    waiting.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.calls).toBe(1);
    clock.advance(1 * SECOND + 1);
    server.release();
    await expect(verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    expect(server.calls).toBe(2);
  });

  it('concurrent first verifications share one failing fetch', async () => {
    const { server, verify, tokenOf } = setup({ networkError: true });
    const token = await tokenOf(key1);
    server.hold();
    const results = Array.from({ length: 5 }, () =>
      expectKitError(verify(token), 'ERR_JWKS_FETCH_FAILED', { token }),
    );
    await vi.waitFor(() => expect(server.calls).toBe(1));
    server.release();
    await Promise.all(results);
    expect(server.calls).toBe(1);
  });
});

describe('cacheMaxAgeSeconds', () => {
  it.each([
    [{ 'cache-control': 'public, max-age=300' }, 300],
    [{ 'cache-control': 'Max-Age=60, public' }, 60],
    [{ 'cache-control': 'max-age="90"' }, 90],
    [{ 'cache-control': 'max-age=300, max-age=30' }, 30],
    [{ 'cache-control': 'max-age=300', age: '100' }, 200],
    [{ 'cache-control': 'max-age=300', age: '400' }, 0],
    [{ 'cache-control': 'max-age=300', age: 'junk' }, 300],
    [{ 'cache-control': 'no-store' }, 0],
    [{ 'cache-control': 'public, no-cache' }, 0],
    [{ 'cache-control': 'no-cache="set-cookie", max-age=60' }, 0],
    [{ 'cache-control': 'max-age=0' }, 0],
    [{ 'cache-control': `max-age=${MAX_CACHE_SECONDS * 10}` }, MAX_CACHE_SECONDS],
    [{ 'cache-control': 'public' }, undefined],
    [{ 'cache-control': 'max-age=-1' }, undefined],
    [{ 'cache-control': 'max-age=abc' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, expected) => {
    expect(cacheMaxAgeSeconds(new Headers(headers))).toBe(expected);
  });
});
