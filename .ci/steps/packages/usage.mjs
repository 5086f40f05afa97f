// The README's usage of @kit/core and @kit/hono, run by `.ci/steps/packages.sh` in a fresh project
// that installed the packed tarballs and the peers the docs name with plain npm: no workspace, no
// TypeScript, only what a user gets from the registry. Reads DATABASE_URL (a migrated database),
// KIT_SECRET and KIT_SIGNING_KEYS (from `kit secret generate` and `kit keys generate`). Exits
// non-zero on the first broken promise; never prints a token.
import assert from 'node:assert/strict';
import { serve } from '@hono/node-server';
import { createAuthKit, KitError, KitInvalidOptionsError, KitJwtInvalidError } from '@kit/core';
import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import * as verifyEntry from '@kit/core/verify';
import { createBearerAuth, createKitRoutes } from '@kit/hono';
import { Hono } from 'hono';

const ok = (what) => console.log(`ok: ${what}`);
const issuer = 'https://auth.example.test';
const audience = 'https://api.example.test';

const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL });
// `kit migrate` ran first: migrating again from the API applies nothing.
assert.deepEqual(await migrate(orm), { applied: [] });
ok('migrate(orm) after `kit migrate` applies nothing');

const kit = await createAuthKit({
  issuer,
  audience,
  secret: process.env.KIT_SECRET,
  signingKeys: process.env.KIT_SIGNING_KEYS,
  store: createMikroOrmStore({ orm }),
});

// Every entry point throws the same error classes (one copy in dist/), so `instanceof` works
// whichever entry a class is imported from.
assert.equal(verifyEntry.KitError, KitError);
assert.equal(verifyEntry.KitInvalidOptionsError, KitInvalidOptionsError);
const invalidOptions = (error) =>
  error instanceof KitInvalidOptionsError && error.code === 'ERR_INVALID_OPTIONS';
assert.throws(() => createMikroOrmStore({}), invalidOptions);
assert.throws(() => createKitRoutes(kit, { basePath: 'auth' }), invalidOptions);
assert.throws(() => createBearerAuth({ kit: {} }), invalidOptions);
ok('@kit/core, @kit/core/verify, @kit/core/mikro-orm and @kit/hono share one copy of the error classes');

const first = await kit.createSession({ userId: 'user-1', data: { loginMethod: 'password' } });
assert.equal(first.tokenType, 'Bearer');
assert.match(first.refreshToken, /^kit_rt_/);
ok('kit.createSession');

const second = await kit.refresh(first.refreshToken);
assert.notEqual(second.refreshToken, first.refreshToken);
assert.equal(second.session.id, first.session.id);
ok('kit.refresh rotates the refresh token');

const app = new Hono();
app.route('/', createKitRoutes(kit));
const server = await new Promise((resolve) => {
  const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
});
const origin = `http://127.0.0.1:${server.address().port}`;
const jwksUrl = `${origin}/.well-known/jwks.json`;
// A protected route as a separate API would have it: the verifier's options, the keys over HTTP.
app.get('/me', createBearerAuth({ issuer, audience, jwksUrl }), (c) => c.json({ user: c.var.claims.sub }));

try {
  const verify = verifyEntry.createVerifier({ issuer, audience, jwksUrl });
  const claims = await verify(second.accessToken);
  assert.equal(claims.sub, 'user-1');
  assert.equal(claims.sid, first.session.id);
  ok('@kit/core/verify verifies the access token against the JWKS over HTTP');
  await assert.rejects(
    verify(`${second.accessToken.slice(0, -4)}AAAA`),
    (error) => error instanceof KitJwtInvalidError && error.code === KitJwtInvalidError.code,
  );
  ok('@kit/core/verify refuses a tampered token with KitJwtInvalidError');

  const jwks = await fetch(jwksUrl);
  assert.equal(jwks.status, 200);
  assert.match(jwks.headers.get('cache-control') ?? '', /^public, max-age=\d+$/);
  const { keys } = await jwks.json();
  assert.ok(keys.length >= 1 && keys.every((key) => key.kid && !('d' in key)));
  ok('GET /.well-known/jwks.json: 200, public keys only');

  const token = (refreshToken) =>
    fetch(`${origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
  const rotated = await token(second.refreshToken);
  assert.equal(rotated.status, 200);
  assert.equal(rotated.headers.get('cache-control'), 'no-store');
  const third = await rotated.json();
  assert.equal(third.token_type, 'Bearer');
  assert.ok(third.access_token && third.refresh_token && third.refresh_token !== second.refreshToken);
  ok('POST /token: 200, a new access token and refresh token');

  const me = await fetch(`${origin}/me`, { headers: { authorization: `Bearer ${third.access_token}` } });
  assert.equal(me.status, 200);
  assert.deepEqual(await me.json(), { user: 'user-1' });
  ok('GET /me with the new access token: 200');
  const anonymous = await fetch(`${origin}/me`);
  assert.equal(anonymous.status, 401);
  // createBearerAuth takes DPoP-bound tokens too by default, so its challenge offers both schemes.
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer, DPoP algs="[A-Za-z0-9 ]+"$/);
  ok('GET /me without a token: 401 with the Bearer and DPoP challenges');

  // Two rotations old: reuse. The session is revoked and its current token stops working too.
  const reused = await token(first.refreshToken);
  assert.equal(reused.status, 400);
  assert.equal((await reused.json()).error, 'invalid_grant');
  const after = await token(third.refresh_token);
  assert.equal(after.status, 400);
  assert.equal((await after.json()).error, 'invalid_grant');
  assert.deepEqual(await kit.sessions.list('user-1'), []);
  ok('POST /token with a superseded refresh token: invalid_grant, session revoked');
} finally {
  await new Promise((resolve) => server.close(resolve));
  await kit.close();
  await orm.close();
}
