import { importJWK } from 'jose';
import { KitDpopProofInvalidError } from '../errors.ts';
import { encodeBase64url } from '../util/base64url.ts';
import type { AlgorithmProfile } from '../verify/algorithms.ts';
import type { VerificationKey } from '../verify/import-key-set.ts';
import type { CheckedProofHeader } from './check-proof-header.ts';
import type { DpopCrypto } from './dpop-crypto.ts';

/** A client key, imported and prepared once, with its thumbprint. */
export interface ProofKey {
  readonly key: VerificationKey;
  readonly jkt: string;
}

/** RFC 7518 §3.3, §3.5: at least 2048 bits. At most 4096, to bound the work one proof costs. */
const RSA_BITS = { min: 2048, max: 4096 } as const;

const encoder = new TextEncoder();

/** The key cache of one verifier. @internal */
export interface ProofKeys {
  /** The cached key for this header, if any; a hit makes it the most recently used. */
  get(header: CheckedProofHeader): ProofKey | undefined;
  /** Imports the header's key, or throws a `jwk` failure for a key this runtime cannot use. */
  load(header: CheckedProofHeader): Promise<ProofKey>;
  /** Keeps a key whose proof had a valid signature. */
  keep(header: CheckedProofHeader, key: ProofKey): void;
}

/**
 * The keys of recent proofs: a client signs every request with one key, so its key is imported,
 * prepared for the signature backend and hashed into its thumbprint once, not per request. Only
 * keys whose proof had a valid signature are kept (nobody fills the cache with keys they cannot
 * sign with), at most `size` of them, the least recently used leaving first.
 *
 * @internal
 */
export function createProofKeys(crypto: DpopCrypto, size = 1024): ProofKeys {
  const keys = new Map<string, ProofKey>();
  return {
    get(header) {
      const name = nameOf(header);
      const key = keys.get(name);
      if (key !== undefined) {
        keys.delete(name);
        keys.set(name, key);
      }
      return key;
    },
    async load(header) {
      const cryptoKey = await importPublicKey(header.members, header.profile);
      let prepared: unknown;
      try {
        prepared = crypto.backend.prepare(cryptoKey);
      } catch (cause) {
        throw new KitDpopProofInvalidError('jwk', { cause: new Error(errorName(cause)) });
      }
      const jkt = encodeBase64url(await crypto.sha256(encoder.encode(header.canonical)));
      return { key: Object.freeze({ cryptoKey, prepared }), jkt };
    },
    keep(header, key) {
      if (keys.size >= size) {
        const oldest = keys.keys().next();
        if (!oldest.done) keys.delete(oldest.value);
      }
      keys.set(nameOf(header), key);
    },
  };
}

/** The canonical members name the key; the algorithm is part of the name (RS256 and PS256 differ). */
function nameOf(header: CheckedProofHeader): string {
  return `${header.profile.alg} ${header.canonical}`;
}

async function importPublicKey(
  members: Record<string, string>,
  profile: AlgorithmProfile,
): Promise<CryptoKey> {
  let key: CryptoKey | Uint8Array;
  try {
    // Extractable, as the access-token verifier's keys: the `node:crypto` path turns the CryptoKey
    // into a KeyObject, which for a non-extractable key is deprecated (DEP0204). It is a public key.
    key = await importJWK({ ...members }, profile.alg, { extractable: true });
  } catch (cause) {
    // Not a point on the curve, not valid base64url, an RSA key the runtime refuses...
    throw new KitDpopProofInvalidError('jwk', { cause: new Error(errorName(cause)) });
  }
  // `importJWK` returns bytes only for `oct`, which never gets here; checked anyway.
  if (key instanceof Uint8Array || key.type !== 'public') throw new KitDpopProofInvalidError('jwk');
  if (profile.kty === 'RSA') {
    const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
    if (typeof bits !== 'number' || bits < RSA_BITS.min || bits > RSA_BITS.max) {
      throw new KitDpopProofInvalidError('jwk');
    }
  }
  return key;
}

/** A cause that keeps the failure's kind only: an importer's message could quote the key. */
function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^\w{1,64}$/.test(name) ? name : 'Error';
}
