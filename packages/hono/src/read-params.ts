/**
 * Reads the parameters of an OAuth request body: `application/x-www-form-urlencoded` (RFC 6749)
 * or a JSON object. Returns `undefined` for any other media type, a body that does not parse, a
 * repeated form parameter (RFC 6749 §3.1: parameters must not be included more than once) or a
 * JSON value that is not a string where a parameter is expected. Never throws.
 *
 * Exported from `@kit/hono`.
 *
 * @example
 * ```ts
 * import { readParams } from '@kit/hono';
 *
 * const params = await readParams(c.req.raw); // { grant_type: 'refresh_token', refresh_token: '...' }
 * ```
 */
export async function readParams(request: Request): Promise<Record<string, string> | undefined> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  try {
    if (type === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(await request.text());
      const params: Record<string, string> = Object.create(null);
      for (const [key, value] of form) {
        if (Object.hasOwn(params, key)) return undefined;
        params[key] = value;
      }
      return params;
    }
    if (type === 'application/json') {
      const body: unknown = JSON.parse(await request.text());
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
      const params: Record<string, string> = Object.create(null);
      for (const [key, value] of Object.entries(body)) {
        // Parameters are strings; anything else (numbers, objects) is a malformed request.
        if (typeof value !== 'string') return undefined;
        params[key] = value;
      }
      return params;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
