import {
  type BadToken,
  badAccessTokenArb,
  badClaimsArb,
  expectedVerdict,
  forgedHeaderArb,
  garbageTokenArb,
  generateTokenKey,
  jsonSegment,
  jws,
  mutatedTokenArb,
  observedVerdict,
  secretPieces,
  type TokenAlgorithm,
  type TokenKey,
  type TokenSources,
  type VerifierModel,
} from '@kit/test-support/hostile-tokens';
import { AUDIENCE, createFakeJwksServer, defaultClaims, ISSUER, T0 } from '@kit/test-support/verifier';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessTokenVerifier, createVerifier as createWebVerifier } from './index.ts';
import { createVerifier as createNodeVerifier } from './node.ts';

/**
 * Property tests: hostile access tokens against `@kit/core/verify`, on both signature backends.
 * Every token must be rejected with exactly the code the model of `@kit/test-support/hostile-tokens`
 * derives from the documented rules (and the claim, for `ERR_JWT_CLAIM_INVALID`), no error may
 * carry any piece of the token, and a remote key set must never be fetched from anywhere but its
 * URL, nor more than once while the clock stands still. Pure and fast: thousands of runs per
 * property.
 * `BAD_INPUT_SCALE` multiplies the run counts (for longer local runs).
 */

const SCALE = Number(process.env.BAD_INPUT_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

const ALGS: TokenAlgorithm[] = ['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256'];

let published: TokenKey[];
let sources: TokenSources;
let valid: string[];
let web: AccessTokenVerifier;
let node: AccessTokenVerifier;

const counts = { mutations: 0, headers: 0, claims: 0, garbage: 0, remote: 0 };

beforeAll(() => {
  published = [
    ...ALGS.map((alg) => generateTokenKey(alg, `${alg.toLowerCase()}-key`)),
    // A second key of the same algorithm: "the kid of another key" must fail on the signature.
    generateTokenKey('ES256', 'es256-key-2'),
  ];
  const attackerKeys = (['ES256', 'EdDSA', 'RS256'] as const).map((alg) =>
    generateTokenKey(alg, `attacker-${alg.toLowerCase()}`),
  );
  const model: VerifierModel = {
    issuer: ISSUER,
    audiences: [AUDIENCE],
    algorithms: ALGS,
    keys: published,
    nowMs: T0,
    toleranceSeconds: 5,
  };
  sources = { model, issuerKeys: published, attackerKeys, claims: defaultClaims(T0) };
  valid = published.map((key) =>
    jws(jsonSegment({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }), jsonSegment(sources.claims), { key }),
  );
  const options = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: published.map((k) => k.jwk) },
    clock: () => T0,
  };
  web = createWebVerifier(options);
  node = createNodeVerifier(options);
});

afterAll(() => {
  const local = counts.mutations + counts.headers + counts.claims + counts.garbage;
  console.info(
    `bad-token: verifier ${local} cases on each backend (mutations ${counts.mutations}, forged headers ${counts.headers}, ` +
      `bad claims ${counts.claims}, garbage ${counts.garbage}), remote JWKS ${counts.remote} cases`,
  );
});

/** No piece of the token in the error's message or own properties, down the cause chain. */
function expectNoEcho(error: unknown, token: string, label: string) {
  const pieces = secretPieces(token).filter((piece) => piece.trim() !== '');
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const texts = [e.message, JSON.stringify({ ...e })];
    for (const piece of pieces) {
      for (const text of texts) expect(text.includes(piece), `${label}: token echoed in ${text}`).toBe(false);
    }
  }
}

/** Both backends answer exactly what the model says, and the model says "rejected". */
async function expectRejected(bad: BadToken) {
  const expected = expectedVerdict(bad.token, sources.model);
  const label = `${bad.kind}: ${JSON.stringify(bad.token.slice(0, 200))}`;
  expect(expected.code, `generator made a valid token (${label})`).not.toBe('ok');
  for (const [name, verify] of [
    ['web', web],
    ['node', node],
  ] as const) {
    const { verdict, error } = await observedVerdict(verify(bad.token));
    expect(verdict, `${name} ${label}`).toEqual(expected);
    expectNoEcho(error, bad.token, `${name} ${label}`);
  }
}

describe('verifier: hostile tokens get the exact error code, on both backends', () => {
  it('accepts the unmutated tokens the properties start from', async () => {
    for (const token of valid) {
      expect(expectedVerdict(token, sources.model)).toEqual({ code: 'ok' });
      await expect(web(token)).resolves.toMatchObject({ sub: 'user-1' });
      await expect(node(token)).resolves.toMatchObject({ sub: 'user-1' });
    }
  });

  it('mutations of valid tokens (truncations, bit flips, re-encodings, odd characters, segment games)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedTokenArb(valid, published[0]!), async (bad) => {
        counts.mutations++;
        await expectRejected(bad);
      }),
      { numRuns: runs(3000) },
    );
  });

  it('forged headers (alg none, HS* with the public key, kid injection, jwk/jku/x5u/x5c, crit, typ, cty)', async () => {
    await fc.assert(
      fc.asyncProperty(forgedHeaderArb(sources), async (bad) => {
        counts.headers++;
        await expectRejected(bad);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('bad claims under a genuine signature (iss, aud, expired, not yet valid, missing, not an object)', async () => {
    await fc.assert(
      fc.asyncProperty(badClaimsArb(sources), async (bad) => {
        counts.claims++;
        await expectRejected(bad);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('garbage (any code units, lone surrogates, NUL, RTL marks, token-shaped junk)', async () => {
    await fc.assert(
      fc.asyncProperty(garbageTokenArb(), async (bad) => {
        counts.garbage++;
        await expectRejected(bad);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('a remote key set is fetched once, from its own URL only, whatever the tokens say (jku, x5u, unknown kids)', async () => {
    const server = createFakeJwksServer({
      body: { keys: published.map((k) => k.jwk) },
      headers: { 'cache-control': 'max-age=3600' },
    });
    const verify = createWebVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: server.url,
      fetch: server.fetch,
      clock: () => T0,
    });
    await expect(verify(valid[0]!)).resolves.toMatchObject({ sub: 'user-1' });
    expect(server.calls).toBe(1);
    await fc.assert(
      fc.asyncProperty(badAccessTokenArb(sources, valid), async (bad) => {
        counts.remote++;
        const expected = expectedVerdict(bad.token, sources.model);
        expect(expected.code).not.toBe('ok');
        const { verdict, error } = await observedVerdict(verify(bad.token));
        expect(verdict, bad.kind).toEqual(expected);
        expectNoEcho(error, bad.token, bad.kind);
      }),
      { numRuns: runs(1000) },
    );
    // The clock never moved: no cooldown ever passed, so no token could cause a second fetch.
    expect(server.calls).toBe(1);
    expect(new Set(server.requests.map((r) => r.url))).toEqual(new Set([server.url]));
    // And the keys held still verify.
    for (const token of valid) await expect(verify(token)).resolves.toMatchObject({ sub: 'user-1' });
  });
});
