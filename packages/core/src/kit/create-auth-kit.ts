import type { AuthKitOptions } from '../options.ts';
import { createPruner } from '../pruner.ts';
import { createChainWalk } from './chain-walk.ts';
import { checkReady } from './check-ready.ts';
import { createKitContext } from './context.ts';
import { createSession } from './create-session.ts';
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
 * Exported from `@kit/core`.
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
export async function createAuthKit(options: AuthKitOptions): Promise<AuthKit> {
  const ctx = await createKitContext(options);
  const { config, keys, emitter } = ctx;
  const chain = createChainWalk(ctx);
  const sessions = createSessionManager(ctx);
  return {
    createSession: (input) => createSession(ctx, input),
    refresh: (refreshToken, context) => refresh(ctx, chain, refreshToken, context),
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
    startPruner: (pruneOptions) => createPruner((o) => sessions.purgeExpired(o), pruneOptions),
    config: Object.freeze({
      issuer: config.issuer,
      audience: config.audience,
      accessTokenTtl: config.accessTokenTtl,
      sessionIdleTtl: config.sessionIdleTtl,
      sessionMaxAge: config.sessionMaxAge,
      reuseGrace: config.reuseGrace,
      jwksMaxAge: config.jwksMaxAge,
    }),
  };
}
