import type { KitErrorCode } from '@kit/core';
import { KIT_ERROR_HTTP } from './error-table.ts';
import { oauthErrorResponse } from './oauth-error-response.ts';

/**
 * The answer to any error thrown while handling a kit route: a `KitError` through
 * {@link KIT_ERROR_HTTP}, anything else a generic 500 `server_error`. Only the error's code or
 * class name is logged (`log`), never its message: a driver message can carry bound values.
 *
 * @example
 * ```ts
 * import { kitErrorResponse } from '@kit/hono';
 *
 * app.onError((error) => kitErrorResponse(error));
 * ```
 */
export function kitErrorResponse(
  error: unknown,
  log: (line: string) => void = (line) => console.error(line),
): Response {
  if (isKitError(error)) {
    const mapped = KIT_ERROR_HTTP[error.code];
    if (mapped.status >= 500) log(`kit: request failed (${error.code})`);
    const headers: Record<string, string> =
      mapped.error === 'invalid_token' ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {};
    return oauthErrorResponse(mapped.status, mapped.error, mapped.description, headers);
  }
  log(`kit: request failed (${error instanceof Error ? error.name : typeof error})`);
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
