import { decodeBase64url, encodeBase64url } from '../util/base64url.ts';
import { isSessionId, readSessionIdBytes, writeSessionIdBytes } from '../util/uuid.ts';

/*
 * The revocation list document, as `kit.revocations()` produces it and edge verifiers read it:
 *
 * ```json
 * {"v":1,"iat":1767268800000,"sids":"<base64url of the sorted 16-byte session ids, concatenated>"}
 * ```
 *
 * - `iat`: when the list was read from the database (milliseconds, server clock). A verifier never
 *   uses a list older than its `revocationsInterval`, counted from `iat` or from when it started
 *   the fetch, whichever is earlier.
 * - `sids`: every session revoked while one of its access tokens may still be live (revoked and
 *   last refreshed within the access-token lifetime + 60 s). 16 bytes each, about 21.3 base64url
 *   characters, instead of 38 as a JSON string: 10,000 revocations in five minutes make 213 kB.
 *
 * This file holds the `sids` encoding; the feed writes the document, the revocation list reads it.
 */

/** Encodes session ids (UUIDs) compactly; ids that are not UUIDs are skipped. @internal */
export function encodeSessionIds(ids: readonly string[]): string {
  const valid = [...new Set(ids.map((id) => id.toLowerCase()).filter(isSessionId))].sort();
  const out = new Uint8Array(valid.length * 16);
  for (const [n, id] of valid.entries()) writeSessionIdBytes(id, out, n * 16);
  return encodeBase64url(out);
}

/** Decodes `sids` into UUID strings; `undefined` when it is not a whole number of ids. @internal */
export function decodeSessionIds(sids: unknown): Set<string> | undefined {
  if (typeof sids !== 'string') return undefined;
  const bytes = decodeBase64url(sids);
  if (bytes === undefined || bytes.length % 16 !== 0) return undefined;
  const out = new Set<string>();
  for (let n = 0; n < bytes.length; n += 16) out.add(readSessionIdBytes(bytes, n));
  return out;
}
