import { nodeBuffer, nodeCrypto } from '../crypto/node-crypto.ts';
import type { AlgorithmProfile, VerifierAlgorithm } from './algorithms.ts';
import type { VerifyBackend } from './backend.ts';
import type { VerificationKey } from './import-key-set.ts';

type Prepared = { readonly alg: VerifierAlgorithm; readonly key: unknown };

/**
 * The Node verification backend: `node:crypto`'s one-shot `verify` with a KeyObject made once per
 * imported key (cached in the key index by `kid`), synchronous, without Web Crypto's promise and
 * copy overhead. Keys are still imported and validated through Web Crypto (jose's `importJWK`),
 * so exactly the same keys are usable on both paths.
 *
 * `undefined` where `node:crypto` or `node:buffer` is missing (see `crypto/node-crypto.ts`).
 *
 * @internal
 */
export function createNodeBackend(): VerifyBackend | undefined {
  if (!nodeCrypto || !nodeBuffer) return undefined;
  const crypto = nodeCrypto;
  const bytes = nodeBuffer;
  const pss = crypto.constants.RSA_PKCS1_PSS_PADDING;

  /** JWS signature form per algorithm: ECDSA as r‖s (IEEE P1363), PSS with a 32-byte salt (RFC 7518). */
  function options(alg: VerifierAlgorithm, key: unknown): unknown {
    switch (alg) {
      case 'ES256':
      case 'ES384':
        return { key, dsaEncoding: 'ieee-p1363' };
      case 'PS256':
        return { key, padding: pss, saltLength: 32 };
      default:
        return key;
    }
  }
  const HASH: Record<VerifierAlgorithm, string | null> = {
    ES256: 'sha256',
    ES384: 'sha384',
    EdDSA: null,
    RS256: 'sha256',
    PS256: 'sha256',
  };

  return Object.freeze({
    prepare(cryptoKey: CryptoKey): unknown {
      const alg = algorithmOf(cryptoKey);
      return Object.freeze({ alg, key: options(alg, crypto.KeyObject.from(cryptoKey)) });
    },
    verify(profile: AlgorithmProfile, key: VerificationKey, signature: Uint8Array, signingInput: string) {
      const prepared = key.prepared as Prepared;
      // The key index already pairs each key with one algorithm; checked again so that a key
      // prepared for one algorithm can never verify another.
      if (prepared.alg !== profile.alg) return false;
      // UTF-8, exactly the bytes Web Crypto verifies. Latin-1 would keep only the low byte of
      // each character, so a payload with `Ł` (U+0141) in place of `A` would still match the
      // issuer's signature over the original.
      return crypto.verify(HASH[profile.alg], bytes.from(signingInput, 'utf8'), prepared.key, signature);
    },
  });
}

/** The JWS algorithm a CryptoKey was imported for (jose's importJWK fixes it per key). */
function algorithmOf(key: CryptoKey): VerifierAlgorithm {
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  switch (algorithm.name) {
    case 'ECDSA':
      if (algorithm.namedCurve === 'P-256') return 'ES256';
      if (algorithm.namedCurve === 'P-384') return 'ES384';
      break;
    case 'Ed25519':
      return 'EdDSA';
    case 'RSASSA-PKCS1-v1_5':
      if (algorithm.hash?.name === 'SHA-256') return 'RS256';
      break;
    case 'RSA-PSS':
      if (algorithm.hash?.name === 'SHA-256') return 'PS256';
      break;
  }
  throw new Error('unsupported key');
}
