import { decodeBase64url } from '../util/base64url.ts';

// Fatal: invalid UTF-8 is a malformed token, not something to repair with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one base64url segment of a compact JWS into a JSON object, or returns `undefined` when
 * the segment is not strict base64url, not UTF-8, not JSON, or not a JSON object (arrays and
 * primitives are refused). Never throws, and never keeps the `JSON.parse` error: its message can
 * quote the token's content, and no token content may reach an error.
 *
 * @internal
 */
export function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64url(segment);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
