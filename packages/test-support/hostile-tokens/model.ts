/**
 * A model of the exact answer the verifier owes to any access token. Test-only; shared by the
 * verifier's and the HTTP layer's property tests.
 *
 * The model ({@link expectedVerdict}) is written from the documented rules, with its own decoding
 * (Node's Buffer plus a canonical re-encoding check) and its own signature check (`node:crypto`
 * over the UTF-8 bytes of the signing input), so that it shares no code with the verifier:
 *
 * 1. at most 8192 characters, exactly three segments, header and payload not empty → else
 *    `ERR_JWT_MALFORMED`;
 * 2. the header is canonical base64url of a UTF-8 JSON object with a string `alg` → else
 *    `ERR_JWT_MALFORMED`;
 * 3. `alg` in the allow-list → else `ERR_JWT_ALG_NOT_ALLOWED` (always for `none` and `HS*`);
 * 4. no `crit`, `b64` absent or `true`, `typ` `at+jwt` or `application/at+jwt` in any case, `kid`
 *    a non-empty string → else `ERR_JWT_INVALID`;
 * 5. the signature segment is canonical base64url → else `ERR_JWT_MALFORMED`;
 * 6. a published key has that `kid` and that `alg` → else `ERR_JWKS_NO_MATCHING_KEY`;
 * 7. the signature verifies → else `ERR_JWT_INVALID`;
 * 8. the payload is canonical base64url of a UTF-8 JSON object → else `ERR_JWT_MALFORMED`;
 * 9. claims, in this order: `iss`, `aud` (`ERR_JWT_CLAIM_INVALID`), `exp` a finite number
 *    (`ERR_JWT_CLAIM_INVALID`) not passed beyond the tolerance (`ERR_JWT_EXPIRED`), `nbf` and `iat`
 *    not in the future, `sub`, `jti`, `sid`, `client_id` non-empty strings
 *    (`ERR_JWT_CLAIM_INVALID` naming the claim).
 *
 * @module
 */
import type { KitErrorCode } from '@kit/core';
import { signatureValid, type TokenKey } from './keys.ts';

/** What a verifier configured like this must do. */
export interface VerifierModel {
  issuer: string;
  audiences: readonly string[];
  algorithms: readonly string[];
  /** The published keys (every one with `alg` and `use: "sig"`). */
  keys: readonly TokenKey[];
  nowMs: number;
  toleranceSeconds: number;
}

/** An outcome: `ok`, or a kit error code (with the claim for `ERR_JWT_CLAIM_INVALID`). */
export interface Verdict {
  code: KitErrorCode | 'ok';
  claim?: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict base64url: the alphabet, no padding, and the one canonical spelling of the bytes. */
function canonicalBytes(segment: string): Buffer | undefined {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function jsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = canonicalBytes(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const numericDate = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const nonEmptyString = (value: unknown) => typeof value === 'string' && value !== '';

/** The exact answer a verifier configured as `m` owes to `token` (see the module comment). */
export function expectedVerdict(token: string, m: VerifierModel): Verdict {
  const malformed: Verdict = { code: 'ERR_JWT_MALFORMED' };
  const invalid: Verdict = { code: 'ERR_JWT_INVALID' };
  if (token.length > 8192) return malformed;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '') return malformed;
  const [h, p, s] = parts as [string, string, string];
  const header = jsonObject(h);
  if (!header || typeof header.alg !== 'string') return malformed;
  if (!m.algorithms.includes(header.alg)) return { code: 'ERR_JWT_ALG_NOT_ALLOWED' };
  if (header.crit !== undefined) return invalid;
  if (header.b64 !== undefined && header.b64 !== true) return invalid;
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') return invalid;
  if (!nonEmptyString(header.kid)) return invalid;
  const signature = canonicalBytes(s);
  if (!signature) return malformed;
  const key = m.keys.find((k) => k.kid === header.kid && k.alg === header.alg);
  if (!key) return { code: 'ERR_JWKS_NO_MATCHING_KEY' };
  if (!signatureValid(key, `${h}.${p}`, signature)) return invalid;
  const claims = jsonObject(p);
  if (!claims) return malformed;

  const claim = (name: string): Verdict => ({ code: 'ERR_JWT_CLAIM_INVALID', claim: name });
  const now = Math.floor(m.nowMs / 1000);
  const tolerance = m.toleranceSeconds;
  if (claims.iss !== m.issuer) return claim('iss');
  const aud = claims.aud;
  const audOk =
    typeof aud === 'string'
      ? m.audiences.includes(aud)
      : Array.isArray(aud) &&
        aud.every((a) => typeof a === 'string') &&
        aud.some((a) => m.audiences.includes(a as string));
  if (!audOk) return claim('aud');
  if (!numericDate(claims.exp)) return claim('exp');
  if (claims.exp <= now - tolerance) return { code: 'ERR_JWT_EXPIRED' };
  if (claims.nbf !== undefined && (!numericDate(claims.nbf) || claims.nbf > now + tolerance))
    return claim('nbf');
  if (!numericDate(claims.iat) || claims.iat > now + tolerance) return claim('iat');
  for (const name of ['sub', 'jti', 'sid', 'client_id']) {
    if (!nonEmptyString(claims[name])) return claim(name);
  }
  return { code: 'ok' };
}

/** The verdict of a verifier call, in the model's terms. */
export async function observedVerdict(
  result: Promise<unknown>,
): Promise<{ verdict: Verdict; error?: unknown }> {
  try {
    await result;
    return { verdict: { code: 'ok' } };
  } catch (error) {
    const e = error as { code?: KitErrorCode; claim?: string };
    const verdict: Verdict = { code: e?.code ?? ('thrown' as KitErrorCode) };
    if (e?.code === 'ERR_JWT_CLAIM_INVALID') verdict.claim = e.claim as string;
    return { verdict, error };
  }
}
