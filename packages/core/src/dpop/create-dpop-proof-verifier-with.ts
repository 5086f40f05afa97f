import { KitDpopProofInvalidError, KitInvalidInputError, KitInvalidOptionsError } from '../errors.ts';
import { decodeBase64url, encodeBase64url } from '../util/base64url.ts';
import { decodeJsonSegment } from '../verify/decode-segment.ts';
import { checkProofClaims, type ProofExpectations } from './check-proof-claims.ts';
import { checkProofHeader } from './check-proof-header.ts';
import type { DpopCrypto } from './dpop-crypto.ts';
import { type ResolvedDpopOptions, resolveDpopOptions } from './dpop-options.ts';
import { normalizeHttpUrl } from './htu.ts';
import { createProofKeys, type ProofKey } from './proof-keys.ts';
import type { DpopProof, DpopProofRequest, DpopProofVerifier, DpopProofVerifierOptions } from './types.ts';

/**
 * Longest proof accepted, in characters (8 KiB), checked before anything is parsed: bounds the
 * work one request can ask for. A proof with an RSA-4096 key and a long URL is under 3 KiB.
 */
const MAX_PROOF_LENGTH = 8192;
/** Longest access token hashed for `ath`: the verifier's own bound. */
const MAX_ACCESS_TOKEN_LENGTH = 8192;

const encoder = new TextEncoder();

/**
 * `createDpopProofVerifier` over a given {@link DpopCrypto}: Web Crypto for every runtime, or
 * `node:crypto` (the `@kit/core` root). Everything but the cryptography is shared.
 *
 * @internal
 */
export function createDpopProofVerifierWith(
  options: DpopProofVerifierOptions,
  crypto: DpopCrypto,
): DpopProofVerifier {
  const resolved = resolveDpopOptions(options);
  const keys = createProofKeys(crypto);
  const sha256 = async (text: string) => encodeBase64url(await crypto.sha256(encoder.encode(text)));

  async function verify(request: DpopProofRequest): Promise<DpopProof> {
    const nowMs = resolved.clock();
    // Fail closed: with a NaN clock every window comparison would be false, i.e. always fresh.
    if (!Number.isFinite(nowMs)) {
      throw new KitInvalidOptionsError('The `clock` option returned a value that is not a time.');
    }
    const expected = await expectationsOf(request, nowMs, resolved, sha256);
    const proof = singleProof(request.proof);

    const dot1 = proof.indexOf('.');
    const dot2 = dot1 < 0 ? -1 : proof.indexOf('.', dot1 + 1);
    // Three non-empty segments: a compact JWS (`alg: none` has no signature). A fourth dot (a JWE
    // has five segments, two values joined with a comma have five too) lands in the signature
    // segment, which strict base64url decoding refuses.
    if (dot1 < 1 || dot2 < 0 || dot2 === dot1 + 1 || dot2 === proof.length - 1) {
      throw new KitDpopProofInvalidError('malformed');
    }
    const signature = decodeBase64url(proof.slice(dot2 + 1));
    if (signature === undefined) throw new KitDpopProofInvalidError('malformed');
    const header = checkProofHeader(proof.slice(0, dot1), resolved.allowed);

    const cached = keys.get(header);
    const key: ProofKey = cached ?? (await keys.load(header));
    let valid: boolean;
    try {
      const result = crypto.backend.verify(header.profile, key.key, signature, proof.slice(0, dot2));
      valid = typeof result === 'boolean' ? result : await result;
    } catch {
      valid = false;
    }
    if (!valid) throw new KitDpopProofInvalidError('signature');
    if (cached === undefined) keys.keep(header, key);

    // The payload is parsed only once the signature proved the key holder wrote it.
    const claims = decodeJsonSegment(proof.slice(dot1 + 1, dot2));
    if (claims === undefined) throw new KitDpopProofInvalidError('malformed');
    const { jti, iat, nonce } = checkProofClaims(claims, expected);

    // Last, so that only a proof that passed every other check is remembered: a bad proof never
    // uses up a `jti`. Scoped to the key: a `jti` is one client's choice, and another client
    // reusing the value (by chance or to block it) must not collide with it. Hashed, so no
    // client-chosen text reaches the cache, and every key has the same length.
    const replayKey = await sha256(`${key.jkt}.${jti}`);
    const expiresAt = Math.floor(iat * 1000 + resolved.maxAgeMs + resolved.toleranceMs) + 1;
    if (!(await resolved.replayCache.remember(replayKey, { expiresAt, now: Math.floor(nowMs) }))) {
      throw new KitDpopProofInvalidError('replay');
    }
    const checked: DpopProof = { jkt: key.jkt, jti, iat, alg: header.profile.alg };
    if (nonce !== undefined) checked.nonce = nonce;
    return checked;
  }

  return Object.freeze({ verify, algorithms: resolved.algorithms });
}

/** The one `DPoP` header value, or a `missing` / `malformed` failure. */
function singleProof(value: DpopProofRequest['proof']): string {
  let proof: unknown = value;
  if (Array.isArray(value)) {
    // RFC 9449 §4.3 point 1: exactly one `DPoP` HTTP request header field.
    if (value.length > 1) throw new KitDpopProofInvalidError('malformed');
    proof = value[0];
  }
  if (proof === undefined || proof === null || proof === '') throw new KitDpopProofInvalidError('missing');
  // Over the bound, or not a string; values a server joined with a comma fail as three segments.
  if (typeof proof !== 'string' || proof.length > MAX_PROOF_LENGTH) {
    throw new KitDpopProofInvalidError('malformed');
  }
  return proof;
}

/** The request's side of the checks; a request the caller got wrong is `ERR_INVALID_INPUT`. */
async function expectationsOf(
  request: DpopProofRequest,
  nowMs: number,
  { maxAgeMs, toleranceMs }: ResolvedDpopOptions,
  sha256: (text: string) => Promise<string>,
): Promise<ProofExpectations> {
  if (typeof request !== 'object' || request === null) {
    throw new KitInvalidInputError('verify needs a request: { proof, method, url }.');
  }
  const { method, accessToken, nonce } = request;
  if (typeof method !== 'string' || method === '') {
    throw new KitInvalidInputError('`method` must be the request method, for example "POST".');
  }
  const url = normalizeHttpUrl(request.url);
  if (url === undefined) {
    throw new KitInvalidInputError('`url` must be the absolute http: or https: URL of the request.');
  }
  if (
    accessToken !== undefined &&
    (typeof accessToken !== 'string' || accessToken === '' || accessToken.length > MAX_ACCESS_TOKEN_LENGTH)
  ) {
    throw new KitInvalidInputError('`accessToken` must be the access token presented with the proof.');
  }
  const nonces = nonce === undefined ? undefined : typeof nonce === 'string' ? [nonce] : nonce;
  if (
    nonces !== undefined &&
    (!Array.isArray(nonces) || nonces.length === 0 || nonces.some((n) => typeof n !== 'string' || n === ''))
  ) {
    throw new KitInvalidInputError('`nonce` must be a non-empty string or a non-empty list of them.');
  }
  const ath = accessToken === undefined ? undefined : await sha256(accessToken);
  return { method, url, nowMs, maxAgeMs, toleranceMs, ath, nonces };
}
