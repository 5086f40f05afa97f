import {
  type Duration,
  KitInvalidOptionsError,
  type KitLogger,
  type RateLimitStore,
  toOptionSeconds,
} from '@kit/core';
import type { Context, MiddlewareHandler } from 'hono';
import { defaultClientAddress } from './client-address.ts';
import { createMemoryRateLimitStore } from './create-memory-rate-limit-store.ts';
import { kitErrorResponse } from './kit-error-response.ts';
import { checkLogger, logSafely } from './logger.ts';
import { oauthErrorResponse } from './oauth-error-response.ts';
import { rateLimitSubject } from './rate-limit-subject.ts';

/**
 * Options of {@link createRateLimit}.
 */
export interface RateLimitOptions {
  /**
   * Where counters live. Use a shared store (`createMikroOrmRateLimitStore` from
   * `@kit/core/mikro-orm`, or Redis) when several instances serve the app.
   * @default an in-memory store of this process
   */
  store?: RateLimitStore;
  /**
   * Requests allowed per client address per `window` (sliding-window estimate).
   * @default 30
   */
  limit?: number;
  /**
   * Length of the window.
   * @default '1m'
   */
  window?: Duration;
  /**
   * Name of this limit, the prefix of its keys: limits with different names count separately.
   * @default 'default'
   */
  name?: string;
  /**
   * The client's address. Requests whose address is unknown are not limited (one line is logged
   * the first time): pooling them into one counter would let any one of them lock out the others.
   * @default {@link defaultClientAddress} (the socket's address; never `X-Forwarded-For`)
   */
  clientAddress?: (c: Context) => string | undefined;
  /**
   * Current time in milliseconds since the epoch.
   * @default Date.now
   */
  clock?: () => number;
  /**
   * Where the limit logs (a pino logger fits): a store failure as `{ code, status }` (the 503
   * answered), and once, at warn, that client addresses cannot be seen (`{ rateLimit: name }`).
   * @default none: nothing is written
   */
  logger?: KitLogger;
}

/**
 * Middleware limiting requests per client address: a sliding-window estimate from the current
 * and previous fixed windows of the store (one atomic store call per request). Over the limit it
 * answers 429 `{"error":"too_many_requests"}` with `Retry-After` (seconds) and
 * `Cache-Control: no-store`, without running the route. An IPv6 client is limited by its /64.
 * If the store is unreachable the request is refused with 503 `temporarily_unavailable`: an
 * unlimited login route is not a safe fallback.
 *
 * @example
 * ```ts
 * import { createRateLimit } from '@kit/hono';
 * import { createMikroOrmRateLimitStore } from '@kit/core/mikro-orm';
 *
 * const store = createMikroOrmRateLimitStore({ orm });
 * app.post('/login', createRateLimit({ store, name: 'login', limit: 10, window: '1m' }), login);
 * ```
 */
export function createRateLimit(options: RateLimitOptions = {}): MiddlewareHandler {
  const limit = options.limit ?? 30;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new KitInvalidOptionsError(
      'Set the rate limit `limit` to a positive whole number of requests per window.',
    );
  }
  const windowMs = toOptionSeconds(options.window, 'window', '1m') * 1000;
  const name = options.name ?? 'default';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new KitInvalidOptionsError(
      'Set the rate limit `name` to 1 to 64 characters of A-Z, a-z, 0-9, _, . and -.',
    );
  }
  const store = options.store ?? createMemoryRateLimitStore();
  if (typeof store?.hit !== 'function')
    throw new KitInvalidOptionsError('The rate limit `store` must have a `hit` method.');
  const clientAddress = options.clientAddress ?? defaultClientAddress;
  const clock = options.clock ?? Date.now;
  const logger = checkLogger(options.logger, 'createRateLimit', options);

  let warned = false;
  return async function rateLimit(c, next) {
    const address = clientAddress(c);
    if (!address) {
      // Never pool every unidentified client into one counter: one of them could then lock all
      // others out. Without an address there is nothing fair to limit; say so once.
      if (!warned) {
        warned = true;
        logSafely(() =>
          logger.warn(
            { rateLimit: name },
            'kit: a rate limit cannot see client addresses; requests pass unlimited (set clientAddress)',
          ),
        );
      }
      await next();
      return;
    }
    const key = `${name}:${rateLimitSubject(address)}`;
    const now = clock();
    let hit: Awaited<ReturnType<RateLimitStore['hit']>>;
    try {
      hit = await store.hit(key, { windowMs, now });
    } catch (error) {
      return kitErrorResponse(error, logger);
    }
    const elapsed = Math.min(Math.max(now - hit.windowStart, 0), windowMs);
    const weight = (windowMs - elapsed) / windowMs;
    if (hit.previousCount * weight + hit.count <= limit) {
      await next();
      return;
    }
    return oauthErrorResponse(429, 'too_many_requests', 'Too many requests; retry later.', {
      'retry-after': String(retryAfterSeconds(hit, limit, windowMs, elapsed)),
    });
  };
}

/**
 * Seconds until one more request fits under the limit, if no other arrives meanwhile: the time at
 * which the previous window's weighted share has shrunk enough, crossing into the next window when
 * the current one alone is over the limit.
 */
function retryAfterSeconds(
  hit: { count: number; previousCount: number },
  limit: number,
  windowMs: number,
  elapsed: number,
): number {
  let waitMs: number;
  if (hit.count + 1 <= limit && hit.previousCount > 0) {
    // previousCount * (windowMs - elapsed - t) / windowMs + count + 1 <= limit
    waitMs = windowMs - elapsed - ((limit - hit.count - 1) * windowMs) / hit.previousCount;
  } else {
    // In the next window this one's count becomes the previous count: count * (1 - t/W) + 1 <= limit.
    waitMs = windowMs - elapsed + windowMs * Math.max(0, 1 - (limit - 1) / hit.count);
  }
  return Math.max(1, Math.ceil(waitMs / 1000));
}
