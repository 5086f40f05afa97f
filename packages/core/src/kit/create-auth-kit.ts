import type { AuthKitOptions } from '../options.ts';
import { createPruner } from '../pruner.ts';
import { createChainWalk } from './chain-walk.ts';
import { checkReady } from './check-ready.ts';
import { createKitContext } from './context.ts';
import { createSession } from './create-session.ts';
import type { KitClaimsHook, KitTypes } from './kit-types.ts';
import { createKitVerifier } from './kit-verifier.ts';
import { refresh } from './refresh.ts';
import { createRevocationFeed } from './revocation-feed.ts';
import { revokeRefreshToken } from './revoke-refresh-token.ts';
import { createSessionManager } from './session-manager.ts';
import type { AuthKit } from './types.ts';

/**
 * Creates the kit. Validates every option first (a wrong option throws `KitInvalidOptionsError`
 * naming what to set), imports the signing keys and derives the refresh-token keys from `secret`.
 *
 * `T` ({@link KitTypes}) takes the host's claim and session-data types once, for example
 * `createAuthKit<{ claims: { role: 'admin' | 'user' }; data: { device: string } }>(...)`: the
 * `claims` hook must then return those claims, and sessions, token sets, events and
 * `kit.verifyAccessToken` carry the types. Without it, claims and data are untyped objects.
 *
 * @example
 * ```ts
 * import { createAuthKit } from '@kit/core';
 * import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * await migrate(orm);
 * const kit = await createAuthKit({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   secret: process.env.KIT_SECRET!,
 *   signingKeys: process.env.KIT_SIGNING_KEYS!,
 *   store: createMikroOrmStore({ orm }),
 * });
 *
 * // after your own login check:
 * const { accessToken, refreshToken } = await kit.createSession({ userId: user.id });
 * ```
 */
export async function createAuthKit<T extends KitTypes = KitTypes>(
  options: AuthKitOptions<T> & ClaimsHookRequired<T>,
): Promise<AuthKit<T>> {
  // The parts work on untyped claims and data; `T` is the host's declaration of what its hook
  // returns and what it stores as data, which the kit passes through unchanged.
  const ctx = await createKitContext(options as AuthKitOptions);
  const { config, keys, emitter } = ctx;
  const chain = createChainWalk(ctx);
  const sessions = createSessionManager(ctx);
  const kit: AuthKit = {
    createSession: (input) => createSession(ctx, input),
    refresh: (refreshToken, refreshOptions) => refresh(ctx, chain, refreshToken, refreshOptions),
    revokeRefreshToken: (refreshToken, revokeOptions) =>
      revokeRefreshToken(ctx, chain, refreshToken, revokeOptions),
    verifyAccessToken: createKitVerifier(ctx),
    jwks: () => keys.publicJwks(ctx.now()),
    keys: {
      rotate: () => keys.rotate(),
      refresh: () => keys.refresh(),
      delete: (kid, deleteOptions) => keys.delete(kid, deleteOptions),
    },
    revocations: createRevocationFeed(ctx),
    checkReady: () => checkReady(ctx),
    async close() {
      keys.close();
    },
    sessions,
    on: (event, listener) => emitter.on(event, listener),
    startPruner: (pruneOptions) =>
      createPruner((o) => sessions.purgeExpired(o), {
        ...pruneOptions,
        logger: pruneOptions?.logger ?? ctx.logger,
      }),
    config: Object.freeze({
      issuer: config.issuer,
      audience: config.audience,
      accessTokenTtl: config.accessTokenTtl,
      sessionIdleTtl: config.sessionIdleTtl,
      sessionMaxAge: config.sessionMaxAge,
      reuseGrace: config.reuseGrace,
      jwksMaxAge: config.jwksMaxAge,
      dpop:
        ctx.dpop && ctx.dpopReplayCache
          ? Object.freeze({ algorithms: ctx.dpop.algorithms, replayCache: ctx.dpopReplayCache })
          : null,
    }),
  };
  return kit as unknown as AuthKit<T>;
}

/** With `T['claims']` declared, the `claims` hook that returns them is required. */
type ClaimsHookRequired<T extends KitTypes> = T extends { claims: object }
  ? { claims: KitClaimsHook<T> }
  : unknown;
