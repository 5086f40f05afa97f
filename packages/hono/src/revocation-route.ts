import type { AuthKit, KitLogger } from '@kit/core';
import type { Handler } from 'hono';
import { checkLogger, failureCode, logSafely } from './logger.ts';

/**
 * The handler of the revocation list edge verifiers poll (`createVerifier({ revocationsUrl })` from
 * `@kit/core/verify`): `kit.revocations()` as JSON with `Cache-Control: no-cache` and a strong
 * `ETag`, 304 for a matching `If-None-Match`, so a verifier polling every few seconds costs a few
 * bytes while nothing changes. While the store is unreachable it answers 503 with `Retry-After`;
 * verifiers then apply their failure mode (open by default). Each such failure is logged at warn
 * through `logger`, as `{ code, status: 503 }` (nothing is written without one).
 *
 * Mount it where verifiers can reach it, for example `app.get('/revocations', revocationListHandler(kit))`.
 *
 * @example
 * ```ts
 * import { revocationListHandler } from '@kit/hono';
 *
 * app.get('/revocations', revocationListHandler(kit));
 * ```
 */
export function revocationListHandler(kit: AuthKit, options: { logger?: KitLogger } = {}): Handler {
  const logger = checkLogger(options?.logger, 'revocationListHandler');
  return async (c) => {
    let list: Awaited<ReturnType<AuthKit['revocations']>>;
    try {
      list = await kit.revocations();
    } catch (error) {
      logSafely(() =>
        logger.warn({ code: failureCode(error), status: 503 }, 'kit: the revocation list is unavailable'),
      );
      return c.json(
        { error: 'temporarily_unavailable', error_description: 'The revocation list is unavailable.' },
        503,
        { 'cache-control': 'no-store', 'retry-after': '1' },
      );
    }
    const headers = { 'cache-control': 'no-cache', etag: list.etag, vary: 'if-none-match' };
    const match = c.req.header('if-none-match');
    if (match?.split(',').some((tag) => tag.trim() === list.etag)) {
      return c.body(null, 304, headers);
    }
    return c.body(list.body, 200, { ...headers, 'content-type': 'application/json' });
  };
}
