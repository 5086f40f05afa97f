import { toSession } from '../session.ts';
import type { SessionRecord } from '../store/session-store.ts';
import { checkExtraClaims, signAccessToken } from '../tokens/access-token.ts';
import type { RefreshTokenParts } from '../tokens/refresh-token.ts';
import type { KitContext } from './context.ts';
import type { TokenSet } from './types.ts';

/**
 * The token response for a session the store has just written: an access token (with the claims
 * hook's claims, and `cnf.jkt` when the session is bound to a DPoP key) and the refresh token
 * `parts` encode.
 *
 * @internal
 */
export async function issueTokens(
  ctx: KitContext,
  record: SessionRecord,
  parts: RefreshTokenParts,
  nowMs: number,
): Promise<TokenSet> {
  const { config } = ctx;
  const session = toSession(record, nowMs);
  const extraClaims = ctx.claimsHook ? checkExtraClaims(await ctx.claimsHook({ session })) : undefined;
  const [access, refreshToken] = await Promise.all([
    signAccessToken({
      key: ctx.keys.signingKey(nowMs),
      issuer: config.issuer,
      audience: config.audience,
      subject: record.userId,
      clientId: record.clientId,
      sessionId: record.id,
      ttlSeconds: config.accessTokenTtl,
      nowMs,
      extraClaims,
      dpopJkt: record.dpopJkt,
    }),
    ctx.codec.encode(parts),
  ]);
  return {
    accessToken: access.token,
    // As `cnf` above: a record without a thumbprint (`null`, or left out by a store that does not
    // keep it) is a Bearer session's.
    tokenType: record.dpopJkt ? 'DPoP' : 'Bearer',
    expiresIn: config.accessTokenTtl,
    refreshToken,
    session,
  };
}
