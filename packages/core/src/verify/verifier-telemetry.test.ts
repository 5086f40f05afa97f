import { createTestLogger, expectKitError } from '@kit/test-support';
import { createTestMetrics } from '@kit/test-support/telemetry';
import {
  AUDIENCE,
  createClock,
  createFakeJwksServer,
  createTestKey,
  ISSUER,
  mint,
  T0,
  type TestKey,
} from '@kit/test-support/verifier';
import { beforeAll, describe, expect, it } from 'vitest';
import { KitInvalidOptionsError } from '../errors.ts';
import { createVerifier, type VerifierOptions } from './index.ts';
import { encodeSessionIds } from './revocation-format.ts';

const SECOND = 1000;
const JWKS_URL = 'https://user:password@auth.example.com/.well-known/jwks.json?tenant=query-secret#frag';
const REVOCATIONS_URL = 'https://auth.example.com/revocations?token=query-secret';
const SID = '1f0a8f86-2d1a-4b8e-8d0a-2f1e8c5b7e33'; // the default `sid` of minted tokens

let key: TestKey;
beforeAll(async () => {
  key = await createTestKey('ES256');
});

/** A verifier over a fake JWKS endpoint (and a revocation list), reporting to a meter of its own. */
function setup(options: Partial<VerifierOptions> = {}, { log = true } = {}) {
  const clock = createClock();
  const jwks = createFakeJwksServer({ body: { keys: [key.jwk] } });
  const metrics = createTestMetrics();
  const { logger, lines } = createTestLogger();
  const list = { status: 200, calls: 0, sids: encodeSessionIds([]) };
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (!String(input).includes('/revocations')) return jwks.fetch(input, init);
    list.calls++;
    const etag = `"${list.sids.length}"`;
    if (list.status !== 200) return new Response('down', { status: list.status });
    if (new Headers(init?.headers).get('if-none-match') === etag) return new Response(null, { status: 304 });
    return new Response(JSON.stringify({ v: 1, iat: clock.now(), sids: list.sids }), { headers: { etag } });
  }) as typeof globalThis.fetch;
  const verify = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: JWKS_URL,
    fetch,
    clock: clock.now,
    telemetry: metrics.telemetry,
    ...(log ? { logger } : {}),
    ...options,
  });
  const token = (changes: Parameters<typeof mint>[1] = {}) => mint(key, { nowMs: clock.now(), ...changes });
  return { clock, jwks, list, metrics, lines, verify, token };
}

describe('verifier telemetry: kit.verifications', () => {
  it('counts each verification once, by outcome: valid or the error code', async () => {
    const { metrics, verify, token, clock } = setup();
    await verify(await token());
    await verify(await token());
    await expectKitError(verify(await token({ nowMs: clock.now() - 3600 * SECOND })), 'ERR_JWT_EXPIRED');
    const good = await token();
    const flipped = `${good.slice(0, -3)}${good.at(-3) === 'A' ? 'B' : 'A'}${good.slice(-2)}`;
    await expectKitError(verify(flipped), 'ERR_JWT_INVALID');
    await expectKitError(verify('not-a-token'), 'ERR_JWT_MALFORMED');
    expect(await metrics.outcomes('kit.verifications')).toEqual({
      valid: 2,
      ERR_JWT_EXPIRED: 1,
      ERR_JWT_INVALID: 1,
      ERR_JWT_MALFORMED: 1,
    });
    const [point] = await metrics.points();
    expect(point?.scope).toBe('@kit/core/verify');
  });

  it('counts anything that is not a KitError as other', async () => {
    const metrics = createTestMetrics();
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: 'https://auth.example.com/jwks.json',
      // Not a Response: reading its status throws a TypeError, which the verifier passes on.
      fetch: (async () => undefined) as unknown as typeof fetch,
      clock: () => T0,
      telemetry: metrics.telemetry,
    });
    await expect(verify(await mint(key))).rejects.toBeInstanceOf(TypeError);
    expect(await metrics.outcomes('kit.verifications')).toEqual({ other: 1 });
    expect(await metrics.outcomes('kit.jwks.fetches')).toEqual({ other: 1 });
  });
});

describe('verifier telemetry: kit.jwks.fetches', () => {
  it('counts a fetch that succeeds as ok, and logs nothing', async () => {
    const { metrics, lines, verify, token } = setup();
    await verify(await token());
    expect(await metrics.outcomes('kit.jwks.fetches')).toEqual({ ok: 1 });
    expect(lines).toEqual([]);
  });

  it('counts failed fetches by status class or code, and logs each at warn without query or credentials', async () => {
    const { metrics, lines, verify, token, jwks } = setup({}, { log: false });
    jwks.set({ status: 503, body: 'down' });
    await expectKitError(verify(await token()), 'ERR_JWKS_FETCH_FAILED');
    jwks.set({ networkError: true });
    await expectKitError(verify(await token()), 'ERR_JWKS_FETCH_FAILED');
    jwks.set({ body: '<html>' });
    await expectKitError(verify(await token()), 'ERR_JWKS_INVALID');
    jwks.set({ status: 404 });
    await expectKitError(verify(await token()), 'ERR_JWKS_FETCH_FAILED');
    jwks.set({ body: { keys: [key.jwk] } });
    await verify(await token());
    expect(await metrics.outcomes('kit.jwks.fetches')).toEqual({
      http_5xx: 1,
      ERR_JWKS_FETCH_FAILED: 1,
      ERR_JWKS_INVALID: 1,
      http_4xx: 1,
      ok: 1,
    });
    expect(await metrics.outcomes('kit.verifications')).toEqual({
      ERR_JWKS_FETCH_FAILED: 3,
      ERR_JWKS_INVALID: 1,
      valid: 1,
    });
    // No logger given: nothing was written.
    expect(lines).toEqual([]);
  });

  it('logs a failed fetch at warn: code, outcome, status and the URL without query or credentials', async () => {
    const { lines, verify, token, jwks, clock } = setup();
    jwks.set({ status: 503, body: 'down' });
    await expectKitError(verify(await token()), 'ERR_JWKS_FETCH_FAILED');
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: {
          code: 'ERR_JWKS_FETCH_FAILED',
          outcome: 'http_5xx',
          status: 503,
          url: 'https://auth.example.com/.well-known/jwks.json',
        },
        message: 'kit: fetching the JWKS failed',
      },
    ]);
    // A source that keeps failing logs once per 10 s, then says how many it left out.
    jwks.set({ networkError: true });
    await expectKitError(verify(await token()), 'ERR_JWKS_FETCH_FAILED');
    await expectKitError(verify(await token()), 'ERR_JWKS_FETCH_FAILED');
    expect(lines).toHaveLength(1);
    clock.advance(10 * SECOND);
    jwks.set({ body: 'not json' });
    await expectKitError(verify(await token()), 'ERR_JWKS_INVALID');
    expect(lines[1]?.fields).toEqual({
      code: 'ERR_JWKS_INVALID',
      outcome: 'ERR_JWKS_INVALID',
      url: 'https://auth.example.com/.well-known/jwks.json',
      suppressed: 2,
    });
    expect(JSON.stringify(lines)).not.toMatch(/query-secret|password|frag|<html>|not json/);
  });
});

describe('verifier telemetry: kit.revocations.fetches', () => {
  it('counts ok, not_modified and failed fetches of the list, and logs the failures', async () => {
    const { metrics, lines, verify, token, list, clock } = setup({
      revocationsUrl: REVOCATIONS_URL,
      revocationsInterval: 10,
    });
    await verify(await token());
    clock.advance(10 * SECOND);
    await verify(await token());
    expect(await metrics.outcomes('kit.revocations.fetches')).toEqual({ ok: 1, not_modified: 1 });

    clock.advance(10 * SECOND);
    list.status = 502;
    // Fail open: the token passes on the list held.
    await verify(await token());
    clock.advance(2 * SECOND);
    list.status = 200;
    list.sids = encodeSessionIds([SID]);
    await expectKitError(verify(await token()), 'ERR_JWT_REVOKED');
    expect(await metrics.outcomes('kit.revocations.fetches')).toEqual({
      ok: 2,
      not_modified: 1,
      http_5xx: 1,
    });
    expect(await metrics.outcomes('kit.verifications')).toEqual({ valid: 3, ERR_JWT_REVOKED: 1 });
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: {
          code: 'ERR_JWKS_FETCH_FAILED',
          outcome: 'http_5xx',
          status: 502,
          url: 'https://auth.example.com/revocations',
        },
        message: 'kit: fetching the revocation list failed',
      },
    ]);
  });

  it('tells a refused document from no answer', async () => {
    const metrics = createTestMetrics();
    const clock = createClock();
    let answer: () => Response = () => new Response('not json');
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.jwk] },
      revocationsUrl: REVOCATIONS_URL,
      fetch: (async () => answer()) as unknown as typeof fetch,
      clock: clock.now,
      telemetry: metrics.telemetry,
    });
    await verify(await mint(key, { nowMs: clock.now() }));
    clock.advance(2 * SECOND);
    answer = () => {
      throw new TypeError('fetch failed');
    };
    await verify(await mint(key, { nowMs: clock.now() }));
    expect(await metrics.outcomes('kit.revocations.fetches')).toEqual({
      ERR_JWKS_INVALID: 1,
      ERR_JWKS_FETCH_FAILED: 1,
    });
    // A verifier without jwksUrl makes no JWKS fetch, and exports no counter for it.
    expect((await metrics.points()).map((p) => p.name)).not.toContain('kit.jwks.fetches');
  });
});

describe('verifier telemetry: options', () => {
  it('refuses a logger or telemetry that is not one, when the verifier is made', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] } };
    for (const telemetry of [null, true, 'otel', {}, { metrics: {} }, { api: {} }]) {
      expect(() => createVerifier({ ...base, telemetry } as unknown as VerifierOptions)).toThrow(
        KitInvalidOptionsError,
      );
    }
    for (const logger of [null, console.error, { info() {}, warn() {} }]) {
      expect(() => createVerifier({ ...base, logger } as unknown as VerifierOptions)).toThrow(
        KitInvalidOptionsError,
      );
    }
  });
});
