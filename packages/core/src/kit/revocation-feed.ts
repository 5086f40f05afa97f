import { sha256 } from '../crypto/primitives.ts';
import { KitInvalidOptionsError } from '../errors.ts';
import { encodeBase64url } from '../util/base64url.ts';
import { encodeSessionIds } from '../verify/revocation-format.ts';
import type { KitContext } from './context.ts';
import type { RevocationFeed } from './types.ts';

/** How long a revocation feed read from the store is reused. */
const REVOCATION_CACHE_MS = 1000;
/** Beyond the access-token lifetime, how long a revoked session stays listed (verifier clock tolerance and skew). */
const REVOCATION_MARGIN_SECONDS = 60;

/**
 * `kit.revocations`: the revocation feed edge verifiers poll, cached for a second so a crowd of
 * polling verifiers costs one query, and dropped as soon as this instance revokes a session.
 *
 * @internal
 */
export function createRevocationFeed(ctx: KitContext): () => Promise<RevocationFeed> {
  const { config, store } = ctx;
  let cache: { at: number; feed: Promise<RevocationFeed> } | undefined;
  ctx.emitter.on('session_revoked', () => {
    cache = undefined;
  });
  return function revocations(): Promise<RevocationFeed> {
    const listRevoked = store.listRevoked?.bind(store);
    if (!listRevoked) {
      return Promise.reject(
        new KitInvalidOptionsError(
          'The session store does not implement `listRevoked`; revocations are unavailable.',
        ),
      );
    }
    const nowMs = ctx.now();
    if (cache && nowMs - cache.at < REVOCATION_CACHE_MS && nowMs >= cache.at) {
      return cache.feed;
    }
    const feed = (async (): Promise<RevocationFeed> => {
      const since = new Date(nowMs - (config.accessTokenTtl + REVOCATION_MARGIN_SECONDS) * 1000);
      const ids = (await listRevoked({ since })).sort();
      const sids = encodeSessionIds(ids);
      const etag = `"${encodeBase64url((await sha256(new TextEncoder().encode(sids))).subarray(0, 12))}"`;
      return {
        body: JSON.stringify({ v: 1, iat: nowMs, sids }),
        etag,
        sessionIds: ids,
        issuedAt: new Date(nowMs),
      };
    })();
    const entry = { at: nowMs, feed };
    cache = entry;
    feed.catch(() => {
      if (cache === entry) cache = undefined;
    });
    return feed;
  };
}
