import type { JWK } from 'jose';
import type { SigningAlgorithm } from './algorithms.ts';
import { generateSigningKeys, type PrivateSigningJwk } from './signing-keys.ts';

// The signing-key tests' shared parts.

/** Every signing algorithm the kit supports. */
export const ALGORITHMS: SigningAlgorithm[] = ['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256'];

/** One generated key of each of {@link ALGORITHMS}. */
export async function generateOneOfEach(): Promise<Record<SigningAlgorithm, PrivateSigningJwk>> {
  const generated = {} as Record<SigningAlgorithm, PrivateSigningJwk>;
  for (const alg of ALGORITHMS) {
    const jwks = await generateSigningKeys({ alg });
    if (jwks.keys.length !== 1) throw new Error(`generateSigningKeys made ${jwks.keys.length} keys, not 1`);
    generated[alg] = jwks.keys[0]!;
  }
  return generated;
}

/** The JWK without its `kid`. */
export function withoutKid(jwk: PrivateSigningJwk): JWK {
  const { kid: _kid, ...rest } = jwk;
  return rest;
}
