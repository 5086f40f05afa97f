import { Hono } from 'hono';
import { hc } from 'hono/client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createStubKit } from '../test/stub-kit.ts';
import { createKitRoutes } from './create-kit-routes.ts';
import type { RevokeRequestParams } from './routes/revoke-route.ts';
import type { SessionView } from './routes/session-routes.ts';
import type { TokenRequestParams, TokenResponseBody } from './routes/token-route.ts';

// These types are checked by `tsc` (`pnpm typecheck` covers the test files): an assertion that
// does not hold, or a `@ts-expect-error` over code that compiles, fails the typecheck. The calls
// also run, against the routes themselves, so the types are checked against the answers.

const { kit } = createStubKit();
const options = { clientAddress: () => '203.0.113.9' };

describe("Hono's hc client on createKitRoutes", () => {
  it('knows every route at the root: its method, what it takes and what it answers', async () => {
    const routes = createKitRoutes(kit, options);
    const client = hc<typeof routes>('http://localhost', { fetch: routes.request });

    expectTypeOf(client.token.$post).parameter(0).toEqualTypeOf<{ json: TokenRequestParams }>();
    expectTypeOf(client.revoke.$post).parameter(0).toEqualTypeOf<{ json: RevokeRequestParams }>();
    // @ts-expect-error: a path the routes do not serve
    client.tokens;
    // @ts-expect-error: a method the route does not answer
    client.token.$get;

    const res = await client.token.$post({
      json: { grant_type: 'refresh_token', refresh_token: 'kit_rt_x' },
    });
    expect(res.status).toBe(200);
    if (res.status === 200) {
      const body = await res.json();
      expectTypeOf(body).toEqualTypeOf<TokenResponseBody>();
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    } else {
      expectTypeOf((await res.json()).error).toEqualTypeOf<string>();
    }
    const jwks = await client['.well-known']['jwks.json'].$get();
    expect((await jwks.json()).keys).toEqual([]);
  });

  it('knows the paths under a literal basePath, also once mounted in a host app', async () => {
    const app = new Hono().route('/', createKitRoutes(kit, { ...options, basePath: '/auth' }));
    const client = hc<typeof app>('http://localhost', { fetch: app.request });
    // @ts-expect-error: the routes are under /auth
    client.token;

    const headers = { authorization: 'Bearer at' };
    const list = await client.auth.sessions.$get(undefined, { headers });
    if (list.status !== 200) throw new Error(`GET /auth/sessions answered ${list.status}`);
    const { sessions } = await list.json();
    expectTypeOf(sessions).toEqualTypeOf<SessionView[]>();
    expect(sessions.map((s) => s.current)).toEqual([true]);

    const id = sessions[0]!.id;
    const revoked = await client.auth.sessions[':id'].$delete({ param: { id } }, { headers });
    expect(revoked.status).toBe(204);
    expect((await client.auth.logout.$post({ query: { scope: 'others' } }, { headers })).status).toBe(204);
    // @ts-expect-error: not a scope of POST /logout
    await client.auth.logout.$post({ query: { scope: 'everyone' } }, { headers });
  });
});
