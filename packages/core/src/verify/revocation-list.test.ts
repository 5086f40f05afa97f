import { expectKitError } from '@kit/test-support';
import {
  AUDIENCE,
  createClock,
  createTestKey,
  defaultClaims,
  ISSUER,
  mint,
  T0,
  type TestKey,
} from '@kit/test-support/verifier';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from './index.ts';
import { encodeSessionIds } from './revocation-format.ts';

const SID_A = '1f0a8f86-2d1a-4b8e-8d0a-2f1e8c5b7e33'; // the default `sid` of minted tokens
const SID_B = '6c2e7a10-9b1d-4c3e-a5f6-0123456789ab';

let key: TestKey;
beforeAll(async () => {
  key = await createTestKey('ES256');
});

/** A fake issuer serving a revocation list, with the server clock shared with the verifier. */
function createListServer(clock: { now: () => number }) {
  const state = {
    revoked: [] as string[],
    down: false as boolean | number,
    calls: 0,
    etag: true,
    /** iat lag: how old the server's cached copy is. */
    lagMs: 0,
    /** A body to answer instead of the list. */
    garbage: undefined as string | undefined,
    fetch: (async (_input: RequestInfo | URL, init?: RequestInit) => {
      state.calls++;
      if (state.garbage !== undefined) return new Response(state.garbage);
      if (state.down === true) throw new TypeError('fetch failed');
      if (typeof state.down === 'number') return new Response('{}', { status: state.down });
      const sids = encodeSessionIds(state.revoked);
      const etag = `"${sids.length}-${sids.slice(0, 8)}"`;
      const match = new Headers(init?.headers).get('if-none-match');
      if (state.etag && match === etag) return new Response(null, { status: 304, headers: { etag } });
      return new Response(JSON.stringify({ v: 1, iat: clock.now() - state.lagMs, sids }), {
        headers: state.etag ? { etag } : {},
      });
    }) as typeof fetch,
  };
  return state;
}

function setup(options: Partial<VerifierOptions> = {}) {
  const clock = createClock();
  const server = createListServer(clock);
  const verify = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.jwk] },
    clock: clock.now,
    revocationsUrl: 'https://auth.example.com/revocations',
    fetch: server.fetch,
    ...options,
  });
  // Tokens minted "now" on the fake clock, valid for 5 minutes.
  const token = (sid: string) =>
    mint(key, { nowMs: clock.now(), claims: { ...defaultClaims(clock.now()), sid } });
  return { clock, server, verify, token };
}

describe('createVerifier: revocation list', () => {
  it('rejects tokens of listed sessions with ERR_JWT_REVOKED, accepts the others', async () => {
    const { server, verify, token } = setup();
    server.revoked = [SID_B];
    await expect(verify(await token(SID_A))).resolves.toMatchObject({ sid: SID_A });
    const revoked = await token(SID_B);
    await expectKitError(verify(revoked), 'ERR_JWT_REVOKED', { token: revoked });
  });

  it('a revocation reaches the verifier within revocationsInterval (10 s), never later', async () => {
    const { clock, server, verify, token } = setup();
    const t = await token(SID_A);
    await expect(verify(t)).resolves.toBeDefined(); // list fetched at T0, empty
    clock.advance(1000);
    server.revoked = [SID_A]; // revoked at T0 + 1 s
    // Step through time: once T0 + 10 s is reached (the held list's limit) it must be rejected.
    let rejectedAt: number | undefined;
    for (let ms = 1000; ms <= 12_000; ms += 250) {
      clock.set(T0 + ms);
      const outcome = await verify(t).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
      if (outcome === 'ERR_JWT_REVOKED') {
        rejectedAt ??= ms;
      } else {
        expect(rejectedAt).toBeUndefined(); // once rejected, always rejected
        expect(outcome).toBe('ok');
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(rejectedAt).toBeDefined();
    expect(rejectedAt!).toBeLessThanOrEqual(1000 + 10_000);
    // The list fetched at T0 is used until T0 + 10 s, no longer: that is when it is refetched.
    expect(rejectedAt!).toBe(10_000);
  });

  it('counts the interval from the server iat, so a cached copy is not used past the bound', async () => {
    const { clock, server, verify, token } = setup();
    server.lagMs = 9000; // the server's copy was read 9 s ago
    const t = await token(SID_A);
    await expect(verify(t)).resolves.toBeDefined();
    const calls = server.calls;
    clock.advance(1000); // iat + 10 s: must refetch before answering
    await expect(verify(t)).resolves.toBeDefined();
    expect(server.calls).toBe(calls + 1);
  });

  it('revalidates with If-None-Match and keeps the list on 304', async () => {
    const { clock, server, verify, token } = setup();
    server.revoked = [SID_B];
    await verify(await token(SID_A));
    clock.advance(10_000);
    const t = await token(SID_B);
    await expectKitError(verify(t), 'ERR_JWT_REVOKED');
    expect(server.calls).toBe(2);
  });

  it('fail open (default): keeps applying the last list while the list cannot be fetched', async () => {
    const { clock, server, verify, token } = setup();
    server.revoked = [SID_B];
    await verify(await token(SID_A));
    server.down = true;
    clock.advance(60_000);
    await expect(verify(await token(SID_A))).resolves.toBeDefined();
    await expectKitError(verify(await token(SID_B)), 'ERR_JWT_REVOKED');
    server.down = 500;
    clock.advance(2000);
    await expect(verify(await token(SID_A))).resolves.toBeDefined();
  });

  it('fail closed: rejects with ERR_JWKS_FETCH_FAILED once the list is too old, recovers after', async () => {
    const { clock, server, verify, token } = setup({ revocationsFailure: 'closed' });
    await verify(await token(SID_A));
    server.down = true;
    clock.advance(5_000);
    await expect(verify(await token(SID_A))).resolves.toBeDefined(); // still within the interval
    clock.advance(5_000);
    await expectKitError(verify(await token(SID_A)), 'ERR_JWKS_FETCH_FAILED');
    // Garbage documents are failures too.
    server.down = false;
    for (const garbage of [
      '{"v":1,"iat":1,"sids":"abc"}',
      '{"v":2,"iat":1,"sids":""}',
      'null',
      '[]',
      '{"v":1,"sids":""}',
    ]) {
      server.garbage = garbage;
      clock.advance(2000);
      await expectKitError(verify(await token(SID_A)), 'ERR_JWKS_FETCH_FAILED');
    }
    server.garbage = undefined;
    clock.advance(2000);
    await expect(verify(await token(SID_A))).resolves.toBeDefined();
  });

  it('retries a failed fetch at most once a second', async () => {
    const { clock, server, verify, token } = setup({ revocationsFailure: 'closed' });
    server.down = true;
    const t = await token(SID_A);
    for (let i = 0; i < 20; i++) await expectKitError(verify(t), 'ERR_JWKS_FETCH_FAILED');
    expect(server.calls).toBe(1);
    clock.advance(1000);
    await expectKitError(verify(t), 'ERR_JWKS_FETCH_FAILED');
    expect(server.calls).toBe(2);
  });

  it('validates its options when the factory runs', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] } };
    for (const options of [
      { revocationsUrl: 'ftp://x' },
      { revocationsUrl: 'not a url' },
      { revocationsUrl: 'https://x', revocationsInterval: 0 },
      { revocationsUrl: 'https://x', revocationsFailure: 'sometimes' },
    ]) {
      expect(() => createVerifier({ ...base, ...options } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }),
      );
    }
  });
});
