import type { KitErrorCode, KitLogger } from '@kit/core';
import { KIT_ERROR_HTTP } from './error-table.ts';
import { checkLogger, failureCode, logSafely, SILENT_LOGGER } from './logger.ts';
import { oauthErrorResponse } from './oauth-error-response.ts';

/**
 * The answer to any error thrown while handling a kit route: a `KitError` through
 * {@link KIT_ERROR_HTTP}, anything else a generic 500 `server_error`. A 5xx answer is logged
 * through `logger` as `{ code, status }` with the message `kit: request failed`: at warn for a 503
 * (the store or the JWKS is unreachable for now), at error for a 500. `code` is the error's code, or
 * its class name; never its message, which can carry a driver's bound values. Without `logger`
 * nothing is written. A 4xx is the client's doing and is not logged.
 *
 * @example
 * ```ts
 * import { kitErrorResponse } from '@kit/hono';
 * import pino from 'pino';
 *
 * const logger = pino();
 * app.onError((error) => kitErrorResponse(error, logger));
 * ```
 */
export function kitErrorResponse(error: unknown, logger: KitLogger = SILENT_LOGGER): Response {
  // A line function of the old signature is refused, not silently dropped.
  if (logger !== SILENT_LOGGER) checkLogger(logger, 'kitErrorResponse');
  if (isKitError(error)) {
    const mapped = KIT_ERROR_HTTP[error.code];
    if (mapped.status === 503) {
      logSafely(() => logger.warn({ code: error.code, status: 503 }, 'kit: request failed'));
    } else if (mapped.status >= 500) {
      logSafely(() => logger.error({ code: error.code, status: mapped.status }, 'kit: request failed'));
    }
    const headers: Record<string, string> =
      mapped.error === 'invalid_token' ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {};
    return oauthErrorResponse(mapped.status, mapped.error, mapped.description, headers);
  }
  logSafely(() => logger.error({ code: failureCode(error), status: 500 }, 'kit: request failed'));
  return oauthErrorResponse(500, 'server_error', 'The server could not complete the request.');
}

/**
 * Whether `error` is a kit error with a known code. Checked by shape rather than `instanceof`, so
 * that errors from another copy of `@kit/core` (or another entry point of it) are recognised too.
 */
function isKitError(error: unknown): error is Error & { code: KitErrorCode } {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    Object.hasOwn(KIT_ERROR_HTTP, (error as unknown as { code: string }).code)
  );
}
