import { timingSafeEqual } from '../crypto/primitives.ts';
import type { SessionRecord, SessionStore } from '../store/session-store.ts';
import type { RefreshTokenParts } from '../tokens/refresh-token.ts';
import type { KitContext } from './context.ts';

/**
 * Most chain links walked to prove an old token genuine. A session refreshed every 5 minutes for
 * 90 days has about 26,000. Beyond the cap, the token's server tag (which only the holder of
 * `KIT_SECRET` can produce) is the proof.
 */
const MAX_CHAIN_WALK = 100_000;

/**
 * Proving an old refresh token genuine by walking its session's chain, one walk per session at a
 * time. Made once per kit by {@link createChainWalk}: the walks under way are per instance.
 *
 * @internal
 */
export interface ChainWalk {
  /**
   * Runs `walk` (a chain walk and the revocation it leads to) for one session at a time, and, with
   * `recheck`, only after reading the row again once no other walk of the session can start or end:
   * when the session is gone or revoked by then, it returns `settled(row)` without walking. (The
   * caller's row may have been read before a walk that has since revoked the session.) Callers that
   * had to wait also read the row as soon as the walk ahead ends, so a crowd leaves at once. Every
   * walk ends in a revocation (or in a token only the holder of `KIT_SECRET` could forge), so N
   * concurrent old tokens of one session cost one walk per instance, not N walks one after another.
   * The rows are read through `store` (the kit's by default; a refresh passes the one whose
   * telemetry spans nest under its own).
   */
  oneWalkPerSession<T>(
    sessionId: string,
    walk: () => Promise<T>,
    settled: (row: SessionRecord | null) => T,
    recheck: boolean,
    store?: SessionStore,
  ): Promise<T>;
  /**
   * Whether `parts` is the row's current token or one of its ancestors, by hashing the chain
   * forward: one HMAC per link, at most {@link MAX_CHAIN_WALK}. The walk yields to the event loop
   * every 1000 links so a long one cannot stall the process; callers run it through
   * `oneWalkPerSession`.
   */
  isAncestor(parts: RefreshTokenParts, record: SessionRecord): Promise<boolean>;
}

/** @internal */
export function createChainWalk(ctx: KitContext): ChainWalk {
  const { codec } = ctx;
  /** The chain walk under way for each session id (with the revocation it leads to). */
  const walks = new Map<string, Promise<unknown>>();

  async function oneWalkPerSession<T>(
    sessionId: string,
    walk: () => Promise<T>,
    settled: (row: SessionRecord | null) => T,
    recheck: boolean,
    store: SessionStore = ctx.store,
  ): Promise<T> {
    for (let ahead = walks.get(sessionId); ahead !== undefined; ahead = walks.get(sessionId)) {
      await ahead.catch(() => undefined);
      const row = await store.find(sessionId);
      if (!row || row.revokedAt) return settled(row);
    }
    // No await between the check above and this line: no second walk can start in between.
    const run = (async () => {
      if (recheck) {
        const row = await store.find(sessionId);
        if (!row || row.revokedAt) return settled(row);
      }
      return walk();
    })();
    walks.set(sessionId, run);
    try {
      return await run;
    } finally {
      if (walks.get(sessionId) === run) walks.delete(sessionId);
    }
  }

  async function isAncestor(parts: RefreshTokenParts, record: SessionRecord): Promise<boolean> {
    const distance = record.generation - parts.generation;
    if (distance < 0) return false;
    if (distance > MAX_CHAIN_WALK) return true; // the verified server tag is the proof (see MAX_CHAIN_WALK)
    let link = parts;
    for (let i = 1; i <= distance; i++) {
      link = await codec.successor(link);
      if (i % 1000 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (timingSafeEqual(await codec.hashSecret(link.secret), record.secretHash)) return true;
    // A token tagged under a previous secret (a secret rotation is under way): the links after
    // it may have been derived under either secret, which the walk cannot know, so its valid
    // tag (only holders of a secret can make one) is the proof, as beyond MAX_CHAIN_WALK.
    return parts.keyIndex !== 0;
  }

  return { oneWalkPerSession, isAncestor };
}
