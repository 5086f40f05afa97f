import { describe, expectTypeOf, it } from 'vitest';
import type { KitEvents } from '../events.ts';
import type { AuthKitOptions } from '../options.ts';
import type { Session } from '../session.ts';
import { createVerifier } from '../verify/create-verifier.ts';
import { createVerifier as createNodeVerifier } from '../verify/node.ts';
import type { AccessTokenClaims, AccessTokenVerifier } from '../verify/types.ts';
import { createAuthKit } from './create-auth-kit.ts';
import type { KitClaims, KitSessionData } from './kit-types.ts';
import type { AuthKit, CreateSessionInput, TokenSet } from './types.ts';

// Type assertions: `pnpm typecheck` (tsc) checks them; at run time they do nothing. No kit is
// built: the kits below are empty stand-ins, and the `build` functions are never called.

type Types = { claims: { role: 'admin' | 'user' }; data: { device: string } };
type Data = { device: string };
type Claims = AccessTokenClaims & { role: 'admin' | 'user' };

const options = {} as Omit<AuthKitOptions, 'claims'>;
const typed = {} as AuthKit<Types>;
const untyped = {} as AuthKit;
const typedSessions = {} as AuthKit<Types>['sessions'];

describe('createAuthKit<T>: the host declares claims and data once', () => {
  it('types the claims hook: its session carries the data, and it must return the claims', () => {
    const build = () =>
      createAuthKit<Types>({
        ...options,
        claims: ({ session }) => {
          expectTypeOf(session).toEqualTypeOf<Session<Data>>();
          return { role: session.data.device === 'console' ? 'admin' : 'user' };
        },
      });
    expectTypeOf(build).returns.resolves.toEqualTypeOf<AuthKit<Types>>();

    // @ts-expect-error a role outside the declared union
    const buildWrongRole = () => createAuthKit<Types>({ ...options, claims: () => ({ role: 'root' }) });
    // @ts-expect-error with claims declared, the hook that adds them is required
    const buildWithoutHook = () => createAuthKit<Types>({ ...options });
    void [buildWrongRole, buildWithoutHook];
    // Data alone needs no hook.
    expectTypeOf(options).toExtend<Parameters<typeof createAuthKit<{ data: Data }>>[0]>();
    expectTypeOf(options).not.toExtend<Parameters<typeof createAuthKit<Types>>[0]>();
  });

  it('types sessions, token sets and events with the data', () => {
    expectTypeOf(typed.createSession).returns.resolves.toEqualTypeOf<TokenSet<Data>>();
    expectTypeOf(typed.refresh).returns.resolves.toEqualTypeOf<TokenSet<Data>>();
    expectTypeOf<TokenSet<Data>['session']['data']>().toEqualTypeOf<Data>();
    expectTypeOf(typedSessions.get).returns.resolves.toEqualTypeOf<Session<Data> | null>();
    expectTypeOf(typedSessions.list).returns.resolves.toEqualTypeOf<Session<Data>[]>();
    expectTypeOf(typedSessions.revoke).returns.resolves.toEqualTypeOf<Session<Data> | null>();
    expectTypeOf(typedSessions.revokeAll).returns.resolves.toEqualTypeOf<Session<Data>[]>();
    expectTypeOf(typedSessions.extend).returns.resolves.toEqualTypeOf<Session<Data>>();
    expectTypeOf(typedSessions.revalidate).returns.resolves.toEqualTypeOf<Session<Data>>();
    expectTypeOf(typedSessions.updateData).parameter(1).toEqualTypeOf<Data>();
    expectTypeOf(typedSessions.updateData).returns.resolves.toEqualTypeOf<Session<Data>>();
    expectTypeOf(typed.on<'reuse_detected'>)
      .parameter(1)
      .parameter(0)
      .toEqualTypeOf<KitEvents<Data>['reuse_detected']>();
    expectTypeOf<KitEvents<Data>['session_created']['session']['data']>().toEqualTypeOf<Data>();
  });

  it('checks the shape of the data given', () => {
    expectTypeOf<{ userId: string; data: Data }>().toExtend<CreateSessionInput<Data>>();
    expectTypeOf<{ userId: string; data: { device: number } }>().not.toExtend<CreateSessionInput<Data>>();
    // @ts-expect-error a member the declared data does not have
    const wrongData: Parameters<typeof typedSessions.updateData>[1] = { devices: 'x' };
    void wrongData;
  });

  it("types the kit's own verifier with the claims", () => {
    expectTypeOf(typed.verifyAccessToken).returns.resolves.toEqualTypeOf<Claims>();
    expectTypeOf<KitClaims<Types>['role']>().toEqualTypeOf<'admin' | 'user'>();
    expectTypeOf<KitClaims<Types>['sid']>().toEqualTypeOf<string>();
  });

  it('keeps the untyped defaults, and a typed kit is also an AuthKit', () => {
    expectTypeOf(untyped.verifyAccessToken).returns.resolves.toEqualTypeOf<AccessTokenClaims>();
    expectTypeOf(untyped.refresh).returns.resolves.toEqualTypeOf<TokenSet>();
    expectTypeOf<TokenSet['session']>().toEqualTypeOf<Session>();
    expectTypeOf<Session['data']>().toEqualTypeOf<Record<string, unknown>>();
    expectTypeOf<KitSessionData>().toEqualTypeOf<Record<string, unknown>>();
    expectTypeOf<KitClaims>().toEqualTypeOf<AccessTokenClaims>();
    expectTypeOf<{ userId: string }>().toExtend<CreateSessionInput>();
    expectTypeOf(createAuthKit).returns.resolves.toEqualTypeOf<AuthKit>();
    // An untyped hook may return nothing.
    expectTypeOf<() => undefined>().toExtend<NonNullable<AuthKitOptions['claims']>>();
    // Functions that take any kit (`createKitRoutes(kit: AuthKit)`) take a typed one, not the
    // other way round.
    expectTypeOf<AuthKit<Types>>().toExtend<AuthKit>();
    expectTypeOf<AuthKit<{ claims: { role: string } }>>().toExtend<AuthKit>();
    expectTypeOf<AuthKit<{ data: Data }>>().toExtend<AuthKit>();
    expectTypeOf<AuthKit>().not.toExtend<AuthKit<Types>>();
    expectTypeOf<AuthKit>().not.toExtend<AuthKit<{ data: Data }>>();
  });
});

describe('createVerifier<C>', () => {
  it('adds the claims type parameter to what the verifier resolves with', () => {
    const options = { issuer: 'https://auth.test', audience: 'https://api.test', jwks: { keys: [] } };
    const build = () => createVerifier<{ role: 'admin' | 'user' }>(options);
    expectTypeOf(build).returns.toEqualTypeOf<AccessTokenVerifier<{ role: 'admin' | 'user' }>>();
    expectTypeOf(build).returns.returns.resolves.toEqualTypeOf<Claims>();
    // A whole claims type works the same.
    expectTypeOf<AccessTokenVerifier<Claims>>().returns.resolves.toEqualTypeOf<Claims>();
    const buildNode = () => createNodeVerifier<{ role: 'admin' | 'user' }>(options);
    expectTypeOf(buildNode).returns.returns.resolves.toEqualTypeOf<Claims>();
    // The default is unchanged.
    const buildDefault = () => createVerifier(options);
    expectTypeOf(buildDefault).returns.toEqualTypeOf<AccessTokenVerifier>();
    expectTypeOf(buildDefault).returns.returns.resolves.toEqualTypeOf<AccessTokenClaims>();
    // The kit's verifier and a verifier of the same claims are interchangeable.
    expectTypeOf(typed.verifyAccessToken).toExtend<AccessTokenVerifier<{ role: 'admin' | 'user' }>>();
  });
});
