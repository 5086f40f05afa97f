import { createMemoryDpopReplayCache, type DpopReplayCache } from '@kit/core';
import { createMikroOrmDpopReplayCache } from '@kit/core/mikro-orm';
import { createRedisDpopReplayCache, type RedisSetClient } from '@kit/core/redis';
import type { MikroORM } from '@mikro-orm/postgresql';

/** Where the demo remembers the DPoP proofs it accepted (RFC 9449 §11.1), and one line saying so. */
export interface DemoDpopReplayCaches {
  /**
   * The kit's (`createAuthKit({ dpop })`): proofs sent with `POST /login` and `POST /token`, and
   * with access tokens to the session routes, which need PostgreSQL anyway.
   */
  token: DpopReplayCache;
  /** `GET /me`'s (`createBearerAuth({ dpop })`): proofs sent with access tokens. */
  resource: DpopReplayCache;
  /** One line for the log. */
  description: string;
}

/**
 * Picks the demo's DPoP replay caches the way it picks its rate-limit store, from the same
 * settings (no variable of its own):
 *
 * - `REDIS_URL` set: both in that Redis, shared by every instance on it.
 * - an embedded PostgreSQL (no `DATABASE_URL`): one cache in this process's memory. The embedded
 *   database belongs to one process, so there is no other instance a replay could reach.
 * - `DATABASE_URL` set: `/login`, `/token` and the session routes in PostgreSQL
 *   (`kit_dpop_replays`), shared by every instance on the database; `/me` in memory, because a
 *   route that only verifies access tokens must keep answering while PostgreSQL is unreachable.
 *   Behind a load balancer, a proof replayed to `/me` on another instance within its minute is
 *   then not caught; set `REDIS_URL` for that.
 */
export function chooseDpopReplayCaches(options: {
  orm: MikroORM;
  /** Whether the demo runs on its embedded PostgreSQL. */
  embedded: boolean;
  redis: RedisSetClient | undefined;
}): DemoDpopReplayCaches {
  if (options.redis) {
    const cache = createRedisDpopReplayCache({ client: options.redis, prefix: 'kit-demo:dpop:' });
    return { token: cache, resource: cache, description: 'DPoP proofs remembered in Redis' };
  }
  if (options.embedded) {
    const cache = createMemoryDpopReplayCache();
    return {
      token: cache,
      resource: cache,
      description: 'DPoP proofs remembered in memory (one instance on the embedded PostgreSQL)',
    };
  }
  return {
    token: createMikroOrmDpopReplayCache({ orm: options.orm }),
    resource: createMemoryDpopReplayCache(),
    description:
      'DPoP proofs remembered in PostgreSQL (kit_dpop_replays) at /login, /token and the session routes, in memory at /me',
  };
}
