import { KitInvalidInputError } from '../errors.ts';
import { encodeBase64url } from '../util/base64url.ts';
import type { DpopCrypto } from './dpop-crypto.ts';
import { dpopCrypto } from './node-dpop-crypto.ts';
import { requiredMembers, thumbprintInput } from './thumbprint-input.ts';

const encoder = new TextEncoder();

/**
 * A public key as {@link jwkThumbprint} reads it: an EC, OKP or RSA JWK (jose's `JWK` and the
 * DOM's `JsonWebKey` fit). Only the members RFC 7638 requires are read; any other member, private
 * ones included, is ignored.
 */
export interface ThumbprintJwk {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  /** Other members: accepted, never read. */
  [member: string]: unknown;
}

/**
 * The RFC 7638 thumbprint of a public key: the base64url (unpadded) SHA-256 of its required
 * members (`crv kty x y` for EC, `crv kty x` for OKP, `e kty n` for RSA) as JSON in
 * lexicographic order without whitespace. This is the `jkt` that RFC 9449 (DPoP) binds tokens to
 * (`cnf.jkt`). Same result as jose's `calculateJwkThumbprint` with SHA-256.
 *
 * Takes EC keys on P-256, P-384 and P-521, OKP keys on Ed25519, and RSA keys; a private JWK gives
 * the thumbprint of its public key. Anything else (a symmetric `oct` key, another curve, a
 * required member missing or not a non-empty string) rejects with `ERR_INVALID_INPUT`. The members'
 * values are not decoded or checked any further.
 *
 * Exported by `@kit/core`.
 *
 * @example
 * ```ts
 * import { jwkThumbprint } from '@kit/core';
 *
 * const jkt = await jwkThumbprint({ kty: 'RSA', e: 'AQAB', n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmb...' });
 * ```
 */
export function jwkThumbprint(jwk: ThumbprintJwk): Promise<string> {
  return thumbprintWith(jwk, dpopCrypto);
}

/**
 * {@link jwkThumbprint} with a given SHA-256.
 *
 * @internal
 */
export async function thumbprintWith(jwk: unknown, { sha256 }: Pick<DpopCrypto, 'sha256'>): Promise<string> {
  const members = requiredMembers(jwk);
  if (members === undefined) {
    throw new KitInvalidInputError(
      'The key is not an EC (P-256, P-384, P-521), OKP (Ed25519) or RSA public key with its required members.',
    );
  }
  return encodeBase64url(await sha256(encoder.encode(thumbprintInput(members))));
}
