import { type AuthKit, createMemoryDpopReplayCache, type DpopReplayCache, type TokenSet } from '@kit/core';
import { useMemoryKitFixture } from '@kit/test-support';
import {
  accessTokenHash,
  type DpopKey,
  dpopThumbprint,
  generateDpopKey,
  makeProof,
} from '@kit/test-support/dpop';
import { expectOAuthError } from '@kit/test-support/http';
import { Hono } from 'hono';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createKitRoutes } from './create-kit-routes.ts';
import { createSessionAuth, type KitSessionEnv } from './create-session-auth.ts';
import type { KitRoutesOptions } from './options.ts';

/**
 * The session routes of `createKitRoutes` (and `createSessionAuth` on a host route) with
 * DPoP-bound access tokens (RFC 9449 §7): tokens of sessions the kit bound at login, proofs made
 * with `node:crypto` keys of the test's own, time from the kit's fake clock.
 */

const ALGS = 'ES256 EdDSA ES384 RS256 PS256';
/** The routes are served at `/auth`; a proxy publishes that path as `https://example.com/api/auth`. */
const BASE_PATH = '/auth';
const BASE_URL = 'https://example.com/api/auth';

describe('createSessionAuth with DPoP', () => {
  const f = useMemoryKitFixture();
  const owner = generateDpopKey('ES256');
  const thief = generateDpopKey('EdDSA');
  const replayCache = createMemoryDpopReplayCache();
  let kit: AuthKit;
  let app: Hono;

  const iat = () => Math.floor(f.clock.now() / 1000);
  /** A proof by `key` for a request `method url` carrying `token`. */
  const proof = (
    key: DpopKey,
    method: string,
    url: string,
    token: string,
    claims: Record<string, unknown> = {},
  ) =>
    makeProof(key, { claims: { htm: method, htu: url, ath: accessTokenHash(token), iat: iat(), ...claims } });
  const dpop = (token: string, proofHeader?: string) => ({
    authorization: `DPoP ${token}`,
    ...(proofHeader === undefined ? {} : { dpop: proofHeader }),
  });
  const routesWith = async (options: KitRoutesOptions) => {
    const routes = new Hono();
    routes.route('/', createKitRoutes(kit, { rateLimit: false, clientAddress: () => undefined, ...options }));
    return routes;
  };
  const bound = async (userId = 'alice'): Promise<TokenSet> => {
    const tokens = await kit.createSession({
      userId,
      dpop: {
        proof: makeProof(owner, { claims: { htu: 'https://example.com/login', iat: iat() } }),
        method: 'POST',
        url: 'https://example.com/login',
      },
    });
    expect(tokens.tokenType).toBe('DPoP');
    return tokens;
  };
  const list = (target: Hono, headers: Record<string, string>) =>
    target.request(`${BASE_PATH}/sessions`, { headers });
  const expectDpopChallenge = (res: Response, error: string) =>
    expect(res.headers.get('www-authenticate')).toBe(`DPoP error="${error}", algs="${ALGS}"`);

  beforeAll(async () => {
    kit = await f.makeKit({ dpop: { replayCache: createMemoryDpopReplayCache() } });
    app = await routesWith({
      basePath: BASE_PATH,
      baseUrl: BASE_URL,
      dpop: { replayCache, clock: f.clock.now },
    });
  });

  it('takes a bound token as DPoP with a proof for the public URL of the route, on each session route', async () => {
    const tokens = await bound('list-user');
    const url = `${BASE_URL}/sessions`;
    const res = await list(app, dpop(tokens.accessToken, proof(owner, 'GET', url, tokens.accessToken)));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sessions: { id: string; current: boolean }[] };
    expect(body.sessions).toEqual([expect.objectContaining({ id: tokens.session.id, current: true })]);

    // DELETE /sessions/:id: the proof names the path with the id.
    const other = await bound('list-user');
    const target = `${BASE_URL}/sessions/${other.session.id}`;
    const deleted = await app.request(`${BASE_PATH}/sessions/${other.session.id}`, {
      method: 'DELETE',
      headers: dpop(tokens.accessToken, proof(owner, 'DELETE', target, tokens.accessToken)),
    });
    expect(deleted.status).toBe(204);
    expect((await kit.sessions.get(other.session.id))?.status).toBe('revoked');

    // POST /logout?scope=local: `htu` is without the query (RFC 9449 §4.2).
    const logout = await app.request(`${BASE_PATH}/logout?scope=local`, {
      method: 'POST',
      headers: dpop(tokens.accessToken, proof(owner, 'POST', `${BASE_URL}/logout`, tokens.accessToken)),
    });
    expect(logout.status).toBe(204);
    expect((await kit.sessions.get(tokens.session.id))?.status).toBe('revoked');

    // The ended session: refused with the challenge of the scheme the client used.
    const ended = await list(app, dpop(tokens.accessToken, proof(owner, 'GET', url, tokens.accessToken)));
    await expectOAuthError(ended, 401, 'invalid_token');
    expectDpopChallenge(ended, 'invalid_token');
  });

  it('refuses a bound token sent as Bearer, without a proof, and with a proof for another request, changing nothing', async () => {
    const tokens = await bound();
    const t = tokens.accessToken;
    const url = `${BASE_URL}/sessions`;
    const asBearer = await list(app, { authorization: `Bearer ${t}` });
    await expectOAuthError(asBearer, 401, 'invalid_token');
    expectDpopChallenge(asBearer, 'invalid_token');

    const refusedProofs: [string, string | undefined][] = [
      ['no proof', undefined],
      ['not a proof', 'not-a-proof'],
      // The URL the server sees, not the public one.
      ['the internal URL', proof(owner, 'GET', `http://localhost${BASE_PATH}/sessions`, t)],
      // `basePath` counted twice: `baseUrl` already names it.
      ['basePath twice', proof(owner, 'GET', `${BASE_URL}${BASE_PATH}/sessions`, t)],
      ['another method', proof(owner, 'POST', url, t)],
      ['another token', proof(owner, 'GET', url, `${t}x`)],
      ['no ath', makeProof(owner, { claims: { htm: 'GET', htu: url, iat: iat() } })],
      ['a stale proof', proof(owner, 'GET', url, t, { iat: iat() - 66 })],
      ['a proof from the future', proof(owner, 'GET', url, t, { iat: iat() + 6 })],
    ];
    for (const [label, header] of refusedProofs) {
      const res = await list(app, dpop(t, header));
      const body = await expectOAuthError(res, 401, 'invalid_dpop_proof');
      expectDpopChallenge(res, 'invalid_dpop_proof');
      expect(JSON.stringify(body), label).not.toContain(t.split('.')[2]!);
    }

    // A valid proof by a key the token is not bound to: not the sender's token.
    const stolen = await list(app, dpop(t, proof(thief, 'GET', url, t)));
    await expectOAuthError(stolen, 401, 'invalid_token');
    expectDpopChallenge(stolen, 'invalid_token');

    expect(await kit.sessions.get(tokens.session.id)).toMatchObject({ status: 'active' });
    const ok = await list(app, dpop(t, proof(owner, 'GET', url, t)));
    expect(ok.status).toBe(200);
  });

  it('takes each proof once, also across route instances sharing the replay cache', async () => {
    const tokens = await bound();
    const used = proof(owner, 'GET', `${BASE_URL}/sessions`, tokens.accessToken);
    expect((await list(app, dpop(tokens.accessToken, used))).status).toBe(200);
    const replayed = await list(app, dpop(tokens.accessToken, used));
    await expectOAuthError(replayed, 401, 'invalid_dpop_proof');
    expectDpopChallenge(replayed, 'invalid_dpop_proof');

    const second = await routesWith({
      basePath: BASE_PATH,
      baseUrl: BASE_URL,
      dpop: { replayCache, clock: f.clock.now },
    });
    const fresh = proof(owner, 'GET', `${BASE_URL}/sessions`, tokens.accessToken);
    expect((await list(app, dpop(tokens.accessToken, fresh))).status).toBe(200);
    await expectOAuthError(await list(second, dpop(tokens.accessToken, fresh)), 401, 'invalid_dpop_proof');
  });

  it("remembers proofs in the kit's replay cache when given none: instances sharing it refuse each other's replays", async () => {
    const shared = createMemoryDpopReplayCache();
    const remembered: string[] = [];
    const cache: DpopReplayCache = {
      remember: (key, entry) => {
        remembered.push(key);
        return shared.remember(key, entry);
      },
    };
    // Two instances of one fleet: kits on the same store and keys, one replay cache between them.
    const [one, two] = await Promise.all([1, 2].map(() => f.makeKit({ dpop: { replayCache: cache } })));
    expect(one!.config.dpop?.replayCache).toBe(cache);
    const instance = (k: AuthKit) => {
      const routes = new Hono();
      const options = { rateLimit: false, basePath: BASE_PATH, baseUrl: BASE_URL } as const;
      routes.route('/', createKitRoutes(k, { ...options, dpop: { clock: f.clock.now } }));
      return routes;
    };
    const tokens = await bound();
    const used = proof(owner, 'GET', `${BASE_URL}/sessions`, tokens.accessToken);
    expect((await list(instance(one!), dpop(tokens.accessToken, used))).status).toBe(200);
    expect(remembered).toHaveLength(1);
    await expectOAuthError(
      await list(instance(two!), dpop(tokens.accessToken, used)),
      401,
      'invalid_dpop_proof',
    );

    // createSessionAuth on a host route follows the kit the same way.
    const host = new Hono<KitSessionEnv>();
    const url = 'https://app.example.com/account';
    host.get(
      '/account',
      createSessionAuth({ kit: two!, dpop: { baseUrl: 'https://app.example.com', clock: f.clock.now } }),
      (c) => c.json({ sid: c.var.session.id }),
    );
    const t = tokens.accessToken;
    expect((await host.request('/account', { headers: dpop(t, proof(owner, 'GET', url, t)) })).status).toBe(
      200,
    );
    expect(remembered).toHaveLength(3);
    // A cache the routes are given wins over the kit's.
    const own = await routesWith({
      basePath: BASE_PATH,
      baseUrl: BASE_URL,
      dpop: { replayCache: createMemoryDpopReplayCache(), clock: f.clock.now },
    });
    const fresh = proof(owner, 'GET', `${BASE_URL}/sessions`, t);
    expect((await list(own, dpop(t, fresh))).status).toBe(200);
    expect(remembered).toHaveLength(3);
  });

  it("keeps a memory cache of the routes' own beside a kit cache of this process only", async () => {
    const remembered: string[] = [];
    const memory = createMemoryDpopReplayCache();
    expect(memory.scope).toBe('process');
    const local: DpopReplayCache = {
      scope: 'process',
      remember: (key, entry) => {
        remembered.push(key);
        return memory.remember(key, entry);
      },
    };
    const localKit = await f.makeKit({ dpop: { replayCache: local } });
    const routes = new Hono();
    routes.route(
      '/',
      createKitRoutes(localKit, {
        rateLimit: false,
        basePath: BASE_PATH,
        baseUrl: BASE_URL,
        dpop: { clock: f.clock.now },
      }),
    );
    const tokens = await bound();
    const used = proof(owner, 'GET', `${BASE_URL}/sessions`, tokens.accessToken);
    expect((await list(routes, dpop(tokens.accessToken, used))).status).toBe(200);
    // Replays are still caught, by the routes' own cache; the kit's entries are left to /token.
    await expectOAuthError(await list(routes, dpop(tokens.accessToken, used)), 401, 'invalid_dpop_proof');
    expect(remembered).toEqual([]);
  });

  it('offers both schemes to a request without credentials, and still takes Bearer sessions as Bearer', async () => {
    const none = await list(app, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe(`Bearer, DPoP algs="${ALGS}"`);
    expect(await none.text()).toBe('');

    const plain = await kit.createSession({ userId: 'bob' });
    expect(plain.tokenType).toBe('Bearer');
    expect((await list(app, { authorization: `Bearer ${plain.accessToken}` })).status).toBe(200);
    // An unbound token sent as DPoP, even with a good proof, is refused.
    const url = `${BASE_URL}/sessions`;
    const res = await list(app, dpop(plain.accessToken, proof(owner, 'GET', url, plain.accessToken)));
    await expectOAuthError(res, 401, 'invalid_token');
    expectDpopChallenge(res, 'invalid_token');
  });

  it("checks `htu` against the request's own URL without `baseUrl`, under a basePath", async () => {
    const direct = await routesWith({ basePath: BASE_PATH, dpop: { clock: f.clock.now } });
    const tokens = await bound();
    const url = `http://localhost${BASE_PATH}/sessions`;
    const ok = await list(direct, dpop(tokens.accessToken, proof(owner, 'GET', url, tokens.accessToken)));
    expect(ok.status).toBe(200);
    const publicUrl = proof(owner, 'GET', `${BASE_URL}/sessions`, tokens.accessToken);
    await expectOAuthError(
      await list(direct, dpop(tokens.accessToken, publicUrl)),
      401,
      'invalid_dpop_proof',
    );
  });

  it('takes Bearer only on a kit without the dpop option', async () => {
    const plain = new Hono();
    plain.route('/', createKitRoutes(f.kit, { rateLimit: false, basePath: BASE_PATH }));
    const none = await list(plain, {});
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const tokens = await f.kit.createSession({ userId: 'carol' });
    const res = await list(plain, dpop(tokens.accessToken, 'not-a-proof'));
    await expectOAuthError(res, 400, 'invalid_request');
    expect((await list(plain, { authorization: `Bearer ${tokens.accessToken}` })).status).toBe(200);
  });

  it("on a host route: `baseUrl` followed by the request's whole path, c.var.jkt the proof key's", async () => {
    const host = new Hono<KitSessionEnv>();
    host.post(
      '/account/email',
      createSessionAuth({ kit, dpop: { baseUrl: 'https://app.example.com', clock: f.clock.now } }),
      (c) => {
        expectTypeOf(c.var.jkt).toEqualTypeOf<string | undefined>();
        return c.json({ sid: c.var.session.id, jkt: c.var.jkt ?? null });
      },
    );
    const tokens = await bound();
    const t = tokens.accessToken;
    const res = await host.request('/account/email', {
      method: 'POST',
      headers: dpop(t, proof(owner, 'POST', 'https://app.example.com/account/email', t)),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sid: tokens.session.id, jkt: dpopThumbprint(owner) });

    const bearerOnly = new Hono<KitSessionEnv>();
    bearerOnly.get('/x', createSessionAuth({ kit, dpop: false }), (c) => c.json({ jkt: c.var.jkt ?? null }));
    const none = await bearerOnly.request('/x');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    // A bound token sent as Bearer is refused without DPoP too.
    await expectOAuthError(
      await bearerOnly.request('/x', { headers: { authorization: `Bearer ${t}` } }),
      401,
      'invalid_token',
    );
    const plain = await kit.createSession({ userId: 'dave' });
    const bearer = await bearerOnly.request('/x', {
      headers: { authorization: `Bearer ${plain.accessToken}` },
    });
    expect(await bearer.json()).toEqual({ jkt: null });
  });

  it('refuses a dpop option that is not an object when the factory runs', () => {
    expect(() => createSessionAuth({ kit, dpop: 'yes' as never })).toThrow(/`dpop`/);
    expect(() => createKitRoutes(kit, { dpop: 'yes' as never })).toThrow(/`dpop`/);
  });
});
