import {
  type AccessTokenClaims,
  createMemoryDpopReplayCache,
  createVerifier,
  type DpopReplayCache,
  KitStoreUnavailableError,
} from '@kit/core/verify';
import { createFakeClock, createTestLogger, expectKitError, useMemoryKitFixture } from '@kit/test-support';
import {
  accessTokenHash,
  DPOP_T0,
  type DpopKey,
  dpopThumbprint,
  generateDpopKey,
  makeProof,
} from '@kit/test-support/dpop';
import { secretPieces } from '@kit/test-support/hostile-tokens';
import { expectOAuthError } from '@kit/test-support/http';
import { AUDIENCE, createTestKey, ISSUER, mint, type TestKey } from '@kit/test-support/verifier';
import { Hono } from 'hono';
import { beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { type BearerAuthOptions, createBearerAuth, type KitAuthEnv } from './create-bearer-auth.ts';
import type { RouteDpopOptions } from './request-auth.ts';

/**
 * `createBearerAuth` with DPoP-bound tokens (RFC 9449 §7), over HTTP: tokens bound to a client
 * key (`cnf.jkt`) minted here with jose (through the test helpers), proofs made with `node:crypto`.
 */

const ALL_ALGS = 'ES256 EdDSA ES384 RS256 PS256';
const URL_ = 'http://localhost/orders/42';
const key = generateDpopKey('ES256');
const other = generateDpopKey('EdDSA');
const clock = createFakeClock(DPOP_T0);
let issuer: TestKey;
let jkt: string;

beforeAll(async () => {
  issuer = await createTestKey('ES256', 'issuer-1');
  jkt = dpopThumbprint(key);
});
beforeEach(() => clock.set(DPOP_T0));

const token = async (bound?: DpopKey, claims: Record<string, unknown> = {}) =>
  mint(issuer, {
    nowMs: clock.now(),
    claims: {
      ...(bound === undefined ? {} : { cnf: { jkt: dpopThumbprint(bound) } }),
      ...claims,
    },
  });
const proof = (by: DpopKey, forToken: string, claims: Record<string, unknown> = {}) =>
  makeProof(by, { claims: { htm: 'GET', htu: URL_, ath: accessTokenHash(forToken), ...claims } });

function appWith(dpop?: RouteDpopOptions | false, extra: Partial<BearerAuthOptions> = {}) {
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [issuer.jwk] },
    clock: clock.now,
  });
  const tokens: string[] = [];
  const app = new Hono<KitAuthEnv>();
  const options = {
    verify: (t: string) => {
      tokens.push(t);
      return verifier(t);
    },
    ...(dpop === undefined ? {} : { dpop: dpop === false ? false : { clock: clock.now, ...dpop } }),
    ...extra,
  } as BearerAuthOptions;
  app.on(['GET', 'POST'], '/orders/:id', createBearerAuth(options), (c) => {
    expectTypeOf(c.var.jkt).toEqualTypeOf<string | undefined>();
    return c.json({ sub: c.var.claims.sub, jkt: c.var.jkt ?? null });
  });
  return { app, tokens };
}

const dpopHeaders = (t: string, p?: string) => ({
  authorization: `DPoP ${t}`,
  ...(p === undefined ? {} : { dpop: p }),
});

async function expectDpopError(
  res: Response,
  error: 'invalid_token' | 'invalid_dpop_proof',
  secrets: string[] = [],
) {
  expect(res.headers.get('www-authenticate')).toBe(`DPoP error="${error}", algs="${ALL_ALGS}"`);
  const body = await res.clone().text();
  await expectOAuthError(res, 401, error);
  for (const secret of secrets) {
    for (const piece of secretPieces(secret)) {
      expect(body).not.toContain(piece);
      res.headers.forEach((value) => {
        expect(value).not.toContain(piece);
      });
    }
  }
}

describe('createBearerAuth with DPoP', () => {
  it('accepts a bound token with a proof by its key, and puts the key thumbprint on the context', async () => {
    const { app } = appWith({});
    const t = await token(key);
    const res = await app.request(URL_, { headers: dpopHeaders(t, proof(key, t)) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'user-1', jkt });
    // An unbound token as Bearer: as before, no key.
    const plain = await token();
    const bearer = await app.request(URL_, { headers: { authorization: `Bearer ${plain}` } });
    expect(await bearer.json()).toEqual({ sub: 'user-1', jkt: null });
  });

  it('offers both schemes when no credentials came, Bearer alone with dpop: false', async () => {
    const none = await appWith().app.request(URL_);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe(`Bearer, DPoP algs="${ALL_ALGS}"`);
    expect(await none.text()).toBe('');
    const es256 = await appWith({ algorithms: ['ES256'] }).app.request(URL_);
    expect(es256.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256"');
    const off = await appWith(false).app.request(URL_);
    expect(off.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses a bound token sent as Bearer with a DPoP challenge (invalid_token)', async () => {
    const { app } = appWith({});
    const t = await token(key);
    const res = await app.request(URL_, { headers: { authorization: `Bearer ${t}`, dpop: proof(key, t) } });
    await expectDpopError(res, 'invalid_token', [t]);
    // With DPoP off too: a bound token is never a bearer token.
    const off = await appWith(false).app.request(URL_, { headers: { authorization: `Bearer ${t}` } });
    expect(off.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    await expectOAuthError(off, 401, 'invalid_token');
  });

  it('refuses an unbound token sent as DPoP, a proof by another key, a bad or expired token', async () => {
    const { app } = appWith({});
    const plain = await token();
    await expectDpopError(
      await app.request(URL_, { headers: dpopHeaders(plain, proof(key, plain)) }),
      'invalid_token',
    );
    const t = await token(key);
    const p = proof(other, t);
    await expectDpopError(await app.request(URL_, { headers: dpopHeaders(t, p) }), 'invalid_token', [t, p]);
    const tampered = `${t.slice(0, -4)}AAAA`;
    await expectDpopError(
      await app.request(URL_, { headers: dpopHeaders(tampered, proof(key, tampered)) }),
      'invalid_token',
    );
    clock.advance(400_000);
    await expectDpopError(
      await app.request(URL_, { headers: dpopHeaders(t, proof(key, t, { iat: clock.now() / 1000 })) }),
      'invalid_token',
    );
    // A Bearer token that fails keeps the Bearer challenge.
    const bad = await app.request(URL_, { headers: { authorization: `Bearer ${tampered}` } });
    expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('refuses a missing proof, a proof for another token, method or URL, and a replay (invalid_dpop_proof)', async () => {
    const { app, tokens } = appWith({});
    const t = await token(key);
    await expectDpopError(await app.request(URL_, { headers: dpopHeaders(t) }), 'invalid_dpop_proof', [t]);
    // No proof, no token verification.
    expect(tokens).toEqual([]);
    const sibling = await token(key, { jti: 'another' });
    await expectDpopError(
      await app.request(URL_, { headers: dpopHeaders(t, proof(key, sibling)) }),
      'invalid_dpop_proof',
    );
    await expectDpopError(
      await app.request(URL_, { method: 'POST', headers: dpopHeaders(t, proof(key, t)) }),
      'invalid_dpop_proof',
    );
    await expectDpopError(
      await app.request('http://localhost/orders/43', { headers: dpopHeaders(t, proof(key, t)) }),
      'invalid_dpop_proof',
    );
    const once = proof(key, t);
    expect((await app.request(URL_, { headers: dpopHeaders(t, once) })).status).toBe(200);
    await expectDpopError(await app.request(URL_, { headers: dpopHeaders(t, once) }), 'invalid_dpop_proof', [
      t,
      once,
    ]);
    // Two DPoP headers.
    await expectDpopError(
      await app.request(URL_, {
        headers: [
          ['authorization', `DPoP ${t}`],
          ['dpop', proof(key, t)],
          ['dpop', proof(key, t)],
        ],
      }),
      'invalid_dpop_proof',
    );
  });

  it('checks htu against dpop.baseUrl behind a proxy', async () => {
    const t = await token(key);
    const internal = 'http://10.0.0.7:3000/orders/42';
    const direct = appWith({}).app;
    const publicProof = () => proof(key, t, { htu: 'https://api.example.com/orders/42' });
    // Without baseUrl the server's own URL is expected, which the client never saw.
    await expectDpopError(
      await direct.request(internal, { headers: dpopHeaders(t, publicProof()) }),
      'invalid_dpop_proof',
    );
    const proxied = appWith({ baseUrl: 'https://api.example.com/' }).app;
    const ok = await proxied.request(`${internal}?page=2`, { headers: dpopHeaders(t, publicProof()) });
    expect(ok.status).toBe(200);
    // A prefix the proxy strips.
    const prefixed = appWith({ baseUrl: 'https://example.com/api' }).app;
    const res = await prefixed.request(internal, {
      headers: dpopHeaders(t, proof(key, t, { htu: 'https://example.com/api/orders/42' })),
    });
    expect(res.status).toBe(200);
  });

  it('answers 503 when the replay cache is out of reach, and logs it', async () => {
    const down: DpopReplayCache = {
      remember: async () => {
        throw new KitStoreUnavailableError({ cause: new Error('down') });
      },
    };
    const { logger, lines } = createTestLogger();
    const { app } = appWith({ replayCache: down }, { logger } as never);
    const t = await token(key);
    const res = await app.request(URL_, { headers: dpopHeaders(t, proof(key, t)) });
    await expectOAuthError(res, 503, 'temporarily_unavailable');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', fields: { code: 'ERR_STORE_UNAVAILABLE', status: 503 } }),
    ]);
  });

  it('with dpop: false, a DPoP header is malformed (400), as before', async () => {
    const { app } = appWith(false);
    const t = await token(key);
    const res = await app.request(URL_, { headers: dpopHeaders(t, proof(key, t)) });
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"');
    await expectOAuthError(res, 400, 'invalid_request');
  });

  it('works with { kit } and with the verifier options, dpop kept out of the verifier', async () => {
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [issuer.jwk] },
      clock: clock.now,
    });
    const t = await token(key);
    for (const middleware of [
      createBearerAuth({ kit: { verifyAccessToken: verify }, dpop: { clock: clock.now } }),
      createBearerAuth({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: { keys: [issuer.jwk] },
        clock: clock.now,
        dpop: { clock: clock.now },
      }),
    ]) {
      const app = new Hono<KitAuthEnv<AccessTokenClaims>>();
      app.get('/orders/:id', middleware, (c) => c.text(c.var.jkt ?? 'none'));
      const res = await app.request(URL_, { headers: dpopHeaders(t, proof(key, t)) });
      expect(await res.text()).toBe(jkt);
    }
  });

  it('checks its DPoP options when the factory runs', () => {
    const verify = async () => ({}) as AccessTokenClaims;
    for (const dpop of [
      'on',
      null,
      { baseUrl: 'api.example.com' },
      { baseUrl: 'ftp://api.example.com' },
      { baseUrl: 'https://api.example.com/?x=1' },
      { replayCache: {} },
      { algorithms: ['none'] },
      { maxAge: 'forever' },
    ]) {
      expectKitError(() => createBearerAuth({ verify, dpop: dpop as never }), 'ERR_INVALID_OPTIONS');
    }
  });
});

describe('createBearerAuth with sessions the kit bound to a key', () => {
  const f = useMemoryKitFixture({ dpop: { replayCache: createMemoryDpopReplayCache() } });

  it('takes the access tokens of a bound session with proofs by its key only', async () => {
    const at = () => Math.floor(f.clock.now() / 1000);
    const opened = await f.kit.createSession({
      userId: 'bound-user',
      dpop: {
        proof: makeProof(key, { claims: { htu: 'https://auth.test/login', iat: at() } }),
        method: 'POST',
        url: 'https://auth.test/login',
      },
    });
    expect(opened.tokenType).toBe('DPoP');
    const app = new Hono<KitAuthEnv>();
    app.get('/orders/:id', createBearerAuth({ kit: f.kit, dpop: { clock: f.clock.now } }), (c) =>
      c.json({ sub: c.var.claims.sub, jkt: c.var.jkt }),
    );
    const t = opened.accessToken;
    const ok = await app.request(URL_, { headers: dpopHeaders(t, proof(key, t, { iat: at() })) });
    expect(await ok.json()).toEqual({ sub: 'bound-user', jkt });
    await expectDpopError(
      await app.request(URL_, { headers: { authorization: `Bearer ${t}` } }),
      'invalid_token',
      [t],
    );
    await expectDpopError(
      await app.request(URL_, { headers: dpopHeaders(t, proof(other, t, { iat: at() })) }),
      'invalid_token',
    );
  });
});
