/**
 * Seconds clients are asked to wait after a 503 (`Retry-After`).
 *
 * @example
 * ```ts
 * return oauthErrorResponse(503, 'temporarily_unavailable', 'Retry later.', { 'retry-after': String(RETRY_AFTER_SECONDS) });
 * ```
 */
export const RETRY_AFTER_SECONDS = 5;

/**
 * An RFC 6749 §5.2 error response: JSON `{"error","error_description"}` with
 * `Cache-Control: no-store`. For a 503 a `Retry-After` header is added unless one is given.
 */
export function oauthErrorResponse(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): Response {
  const extra: Record<string, string> =
    status === 503 && !('retry-after' in headers) ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {};
  return new Response(JSON.stringify({ error, error_description: description }), {
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      ...extra,
      ...headers,
    },
  });
}
