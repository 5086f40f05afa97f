import { KitRefreshTokenMalformedError } from '../errors.ts';
import { toSession } from '../session.ts';
import type { RefreshTokenParts } from '../tokens/refresh-token.ts';
import type { ChainWalk } from './chain-walk.ts';
import { checkReason } from './check-input.ts';
import type { KitContext } from './context.ts';
import { revocationReasonAttributes } from './kit-instruments.ts';

/**
 * `kit.revokeRefreshToken` (RFC 7009): revokes the token's session if the token is genuine;
 * `false`, without error, for an unknown or malformed one.
 *
 * @internal
 */
export async function revokeRefreshToken(
  ctx: KitContext,
  chain: ChainWalk,
  refreshToken: string,
  options: { reason?: string } = {},
): Promise<boolean> {
  const { store } = ctx;
  const reason = checkReason(options.reason, 'logout');
  let parts: RefreshTokenParts;
  try {
    parts = await ctx.codec.decode(refreshToken);
  } catch (error) {
    if (error instanceof KitRefreshTokenMalformedError) return false;
    throw error;
  }
  const record = await store.find(parts.sessionId);
  if (!record || record.revokedAt || parts.generation > record.generation) return false;
  // Only a genuine token of this session (current or an ancestor) may revoke it. One walk per
  // session at a time: callers behind it find the session revoked and stop without walking.
  return chain.oneWalkPerSession(
    record.id,
    async () => {
      if (!(await chain.isAncestor(parts, record))) return false;
      const nowMs = ctx.now();
      const revoked = await store.revoke(record.id, { reason, now: new Date(nowMs) });
      if (!revoked) return false;
      ctx.instruments.sessionsRevoked.add(1, revocationReasonAttributes(reason));
      ctx.emitter.emit('session_revoked', { session: toSession(revoked, nowMs), reason });
      return true;
    },
    () => false,
    // The current token walks no link: its revocation needs no fresh read (a stale row only
    // makes store.revoke change nothing).
    parts.generation < record.generation,
  );
}
