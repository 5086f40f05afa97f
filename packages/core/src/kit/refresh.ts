import { timingSafeEqual } from '../crypto/primitives.ts';
import {
  KitRefreshTokenInvalidError,
  KitRefreshTokenReusedError,
  KitSessionExpiredError,
  KitSessionRevokedError,
} from '../errors.ts';
import { isExpired, toSession } from '../session.ts';
import type { SessionRecord } from '../store/session-store.ts';
import type { RefreshTokenParts } from '../tokens/refresh-token.ts';
import type { ChainWalk } from './chain-walk.ts';
import { checkContext } from './check-input.ts';
import type { KitContext } from './context.ts';
import { issueTokens } from './issue-tokens.ts';
import type { ClientContext, TokenSet } from './types.ts';

/**
 * `kit.refresh`: rotation, the grace answer for the previous token, and reuse detection for older
 * ones (see {@link AuthKit.refresh}).
 *
 * @internal
 */
export async function refresh(
  ctx: KitContext,
  chain: ChainWalk,
  refreshToken: string,
  rawContext?: ClientContext,
): Promise<TokenSet> {
  const { config, store, codec, emitter } = ctx;
  const context = checkContext(rawContext);
  // Rejects anything this server did not mint, before any database access.
  const parts = await codec.decode(refreshToken);
  const secretHash = await codec.hashSecret(parts.secret);
  const next = await codec.successor(parts);
  const nextSecretHash = await codec.hashSecret(next.secret);

  for (let attempt = 0; attempt < 3; attempt++) {
    const nowMs = ctx.now();
    const rotated = await store.rotate({
      id: parts.sessionId,
      generation: parts.generation,
      secretHash,
      nextSecretHash,
      now: new Date(nowMs),
      idleExpiresAt: new Date(nowMs + config.sessionIdleTtl * 1000),
      userAgent: context.userAgent,
      ip: context.ip,
    });
    if (rotated) {
      const tokens = await issueTokens(ctx, rotated, next, nowMs);
      emitter.emit('session_refreshed', { session: tokens.session, grace: false });
      return tokens;
    }

    // Not rotated: find out why, from the committed row.
    const record = await store.find(parts.sessionId);
    if (!record) throw new KitRefreshTokenInvalidError();
    if (record.revokedAt) throw new KitSessionRevokedError();
    // A generation the session never reached: not a token of this session.
    if (parts.generation > record.generation) throw new KitRefreshTokenInvalidError();

    if (parts.generation === record.generation) {
      if (!timingSafeEqual(secretHash, record.secretHash)) throw new KitRefreshTokenInvalidError();
      if (isExpired(record, nowMs)) throw new KitSessionExpiredError();
      continue; // the row changed between the two statements (e.g. revalidated): try again
    }

    // An older token. It must be proven genuine before it can revoke anything: the immediate
    // parent by its successor's hash, older ones by walking the chain forward.
    if (parts.generation < record.generation - 1) {
      // Never graced, so a genuine one is reuse. An expired session answers expired and changes
      // nothing, decided before the walk: replaying ancient tokens of an expired session costs
      // no walk. (The token's tag already proves this server minted it; the walk proves it
      // belongs to this chain.)
      if (isExpired(record, nowMs)) throw new KitSessionExpiredError();
      return chain.oneWalkPerSession(
        record.id,
        async () => {
          if (!(await chain.isAncestor(parts, record))) throw new KitRefreshTokenInvalidError();
          return revokeForReuse(ctx, record, parts, context, nowMs);
        },
        (row) => {
          throw row ? new KitSessionRevokedError() : new KitRefreshTokenInvalidError();
        },
        true,
      );
    }
    // The parent.
    if (!timingSafeEqual(nextSecretHash, record.secretHash)) throw new KitRefreshTokenInvalidError();
    // An expired session answers expired and changes nothing, even for an old token.
    if (isExpired(record, nowMs)) throw new KitSessionExpiredError();

    const rotatedAt = record.rotatedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
    if (config.reuseGrace > 0 && nowMs - rotatedAt <= config.reuseGrace * 1000) {
      // Grace: the identical current token, recomputed from the presented parent. Confirmed by a
      // conditional write, so a revocation committed meanwhile wins over the grace answer.
      const confirmed = await store.touch({
        id: record.id,
        generation: record.generation,
        secretHash: record.secretHash,
        now: new Date(nowMs),
        idleExpiresAt: new Date(nowMs + config.sessionIdleTtl * 1000),
      });
      if (!confirmed) continue; // revoked, rotated again or expired meanwhile: decide again
      const tokens = await issueTokens(ctx, confirmed, next, nowMs);
      emitter.emit('session_refreshed', { session: tokens.session, grace: true });
      return tokens;
    }
    return revokeForReuse(ctx, record, parts, context, nowMs);
  }
  throw new KitRefreshTokenInvalidError();
}

async function revokeForReuse(
  ctx: KitContext,
  record: SessionRecord,
  parts: RefreshTokenParts,
  context: ClientContext,
  nowMs: number,
): Promise<never> {
  const revoked = await ctx.store.revoke(record.id, { reason: 'refresh_token_reused', now: new Date(nowMs) });
  // Concurrent replays all fail, but only the call that revoked reports it: one alert per theft.
  if (revoked) {
    const session = toSession(revoked, nowMs);
    ctx.emitter.emit('reuse_detected', {
      session,
      presentedGeneration: parts.generation,
      currentGeneration: record.generation,
      userAgent: context.userAgent,
      ip: context.ip,
    });
    ctx.emitter.emit('session_revoked', { session, reason: 'refresh_token_reused' });
  }
  throw new KitRefreshTokenReusedError(record.id);
}
