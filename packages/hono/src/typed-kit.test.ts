import type { AuthKit, KitClaims, Session } from '@kit/core';
import { type AccessTokenClaims, createVerifier } from '@kit/core/verify';
import { Hono } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import { createBearerAuth } from './create-bearer-auth.ts';
import type { createHealthRoutes } from './create-health-routes.ts';
import { createKitRoutes } from './create-kit-routes.ts';
import { createLoginResponder, type LoginInput } from './create-login-responder.ts';
import { createSessionAuth } from './create-session-auth.ts';
import type { revocationListHandler } from './revocation-route.ts';

// Type assertions: `pnpm typecheck` (tsc) checks them; at run time they do nothing. The kits are
// empty stand-ins and the `build` functions are never called.

type Types = { claims: { role: 'admin' | 'user' }; data: { device: string } };
type Data = { device: string };
type Claims = AccessTokenClaims & { role: 'admin' | 'user' };

const typed = {} as AuthKit<Types>;
const untyped = {} as AuthKit;
const edge = { issuer: 'https://auth.test', audience: 'https://api.test', jwks: { keys: [] } };

describe('the kit types reach the Hono middleware', () => {
  it('createBearerAuth types c.var.claims from the kit or the verifier, without naming them', () => {
    const build = () =>
      new Hono().get('/me', createBearerAuth({ kit: typed }), (c) => {
        expectTypeOf(c.var.claims).toEqualTypeOf<Claims>();
        expectTypeOf(c.var.claims.role).toEqualTypeOf<'admin' | 'user'>();
        expectTypeOf(c.var.claims.sub).toEqualTypeOf<string>();
        return c.text(c.var.claims.role);
      });
    const fromVerifier = () => createBearerAuth({ verify: createVerifier<{ role: 'admin' | 'user' }>(edge) });
    expectTypeOf(fromVerifier).returns.toEqualTypeOf(createBearerAuth<Claims>(edge));
    expectTypeOf<KitClaims<Types>>().toEqualTypeOf<Claims>();
    void build;
  });

  it('keeps the untyped defaults and the explicitly named claims type', () => {
    const build = () =>
      new Hono()
        .get('/kit', createBearerAuth({ kit: untyped }), (c) => {
          expectTypeOf(c.var.claims).toEqualTypeOf<AccessTokenClaims>();
          return c.text(c.var.claims.sub);
        })
        .get('/edge', createBearerAuth(edge), (c) => {
          expectTypeOf(c.var.claims).toEqualTypeOf<AccessTokenClaims>();
          return c.text(c.var.claims.sub);
        })
        .get('/named', createBearerAuth<Claims>(edge), (c) => {
          expectTypeOf(c.var.claims.role).toEqualTypeOf<'admin' | 'user'>();
          return c.text(c.var.claims.role);
        })
        // As before types flowed: an untyped kit and the claims named.
        .get('/untyped-named', createBearerAuth<Claims>({ kit: untyped }), (c) => {
          expectTypeOf(c.var.claims).toEqualTypeOf<Claims>();
          return c.text(c.var.claims.role);
        })
        .get('/session-named', createSessionAuth<Claims>({ kit: untyped }), (c) => {
          expectTypeOf(c.var.claims).toEqualTypeOf<Claims>();
          expectTypeOf(c.var.session).toEqualTypeOf<Session>();
          return c.text(c.var.session.id);
        });
    void build;
  });

  it('createSessionAuth types the claims and the session data from the kit', () => {
    const build = () =>
      new Hono().get('/account', createSessionAuth({ kit: typed }), (c) => {
        expectTypeOf(c.var.claims).toEqualTypeOf<Claims>();
        expectTypeOf(c.var.session).toEqualTypeOf<Session<Data>>();
        expectTypeOf(c.var.session.data.device).toEqualTypeOf<string>();
        return c.text(c.var.session.data.device);
      });
    void build;
  });

  it('createLoginResponder takes the session data of the kit', () => {
    const build = () => createLoginResponder(typed);
    expectTypeOf(build).returns.parameter(1).toEqualTypeOf<LoginInput<Data>>();
    expectTypeOf<{ userId: string; data: Data }>().toExtend<LoginInput<Data>>();
    expectTypeOf<{ userId: string; data: { device: number } }>().not.toExtend<LoginInput<Data>>();
    const buildUntyped = () => createLoginResponder(untyped);
    expectTypeOf(buildUntyped).returns.parameter(1).toEqualTypeOf<LoginInput>();
  });

  it('a typed kit goes wherever any kit does', () => {
    expectTypeOf(createKitRoutes).parameter(0).toExtend<AuthKit>();
    expectTypeOf<AuthKit<Types>>().toExtend<Parameters<typeof createKitRoutes>[0]>();
    expectTypeOf<AuthKit<Types>>().toExtend<Parameters<typeof revocationListHandler>[0]>();
    expectTypeOf<{ kit: AuthKit<Types> }>().toExtend<Parameters<typeof createHealthRoutes>[0]>();
  });
});
