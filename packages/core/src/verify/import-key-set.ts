import { importJWK } from 'jose';
import {
  ALGORITHMS,
  type AlgorithmProfile,
  isVerifierAlgorithm,
  type VerifierAlgorithm,
} from './algorithms.ts';

/**
 * Imported verification keys: `kid` → algorithm → `CryptoKey`. A key is imported once per
 * algorithm it may verify (an RSA JWK without `alg` serves both RS256 and PS256), so the hot path
 * is two `Map` lookups.
 *
 * @internal
 */
export type KeyIndex = ReadonlyMap<string, ReadonlyMap<VerifierAlgorithm, VerificationKey>>;

/**
 * One imported public key: the Web Crypto key, and the form the verification backend prepared
 * from it once (a `node:crypto` KeyObject on the Node path; the same CryptoKey elsewhere).
 *
 * @internal
 */
export interface VerificationKey {
  readonly cryptoKey: CryptoKey;
  readonly prepared: unknown;
}

/** Turns an imported CryptoKey into the backend's own key form, once per key. @internal */
export type PrepareKey = (key: CryptoKey) => unknown;

/**
 * Where a verifier gets its keys: a local JWKS or a remote one.
 *
 * @example
 * ```ts
 * const key = source.peek(kid, alg, Date.now()) ?? (await source.resolve(kid, alg));
 * ```
 *
 * @internal
 */
export interface KeySource {
  /**
   * The key for `kid` and `alg` if it is held and may be used at `now` (ms) without any I/O, else
   * `undefined`. Synchronous so that the hot path does not pay for an extra `await`.
   */
  peek(kid: string, alg: VerifierAlgorithm, now: number): VerificationKey | undefined;
  /**
   * The key for `kid` and `alg`, loading or refetching the set when that is permitted. Rejects with
   * `KitJwksNoMatchingKeyError`, `KitJwksFetchFailedError` or `KitJwksInvalidError`.
   */
  resolve(kid: string, alg: VerifierAlgorithm): Promise<VerificationKey>;
}

/** RFC 7518 §3.3 and §3.5: RSA keys below 2048 bits must not be used for RS256/PS256. */
const MIN_RSA_BITS = 2048;

/**
 * Imports the usable public keys of a JWKS `keys` array. Keys that cannot be used are skipped, not
 * fatal, so one odd key (a symmetric key, an encryption key, an unsupported curve, a key that fails
 * to import) never takes down the whole set:
 *
 * - keys without a string `kid` (tokens must name their key);
 * - `use` other than `sig`, or `key_ops` without `verify`;
 * - `kty: "oct"` and anything else that is not EC, OKP or RSA: a verifier must never hold a secret;
 * - keys whose `alg` is not in `allowed` or does not fit their `kty`/`crv`;
 * - RSA keys under 2048 bits.
 *
 * Only the public members are handed to the importer (`kty crv x y` or `kty n e`): private members
 * (`d`, `p`, `q`...), `key_ops` and `ext` are dropped, so a JWKS accidentally published with private
 * members never yields a private `CryptoKey`. The public copies are taken synchronously, before the
 * first `await`, so later mutation of the caller's object changes nothing.
 *
 * When two usable keys share a `kid` and an algorithm, the first one wins.
 *
 * @internal
 */
export async function importKeySet(
  keys: readonly unknown[],
  allowed: ReadonlyMap<string, AlgorithmProfile>,
  prepare: PrepareKey = (key) => key,
): Promise<KeyIndex> {
  const jobs: { kid: string; alg: VerifierAlgorithm; key: Promise<CryptoKey | undefined> }[] = [];
  for (const jwk of keys) {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) continue;
    const record = jwk as Record<string, unknown>;
    const kid = record.kid;
    if (typeof kid !== 'string' || kid === '') continue;
    const publicJwk = publicMembers(record);
    if (publicJwk === undefined) continue;
    for (const alg of usableAlgorithms(record, allowed)) {
      jobs.push({ kid, alg, key: importPublicKey(publicJwk, alg) });
    }
  }
  const index = new Map<string, Map<VerifierAlgorithm, VerificationKey>>();
  for (const job of jobs) {
    const key = await job.key;
    if (key === undefined) continue;
    let byAlg = index.get(job.kid);
    if (byAlg === undefined) {
      byAlg = new Map();
      index.set(job.kid, byAlg);
    }
    if (!byAlg.has(job.alg)) {
      let prepared: unknown;
      try {
        prepared = prepare(key);
      } catch {
        continue; // a key the backend cannot use is skipped, like one the runtime cannot import
      }
      byAlg.set(job.alg, Object.freeze({ cryptoKey: key, prepared }));
    }
  }
  return index;
}

/** Algorithms of the allow-list that this JWK may verify. */
function usableAlgorithms(jwk: Record<string, unknown>, allowed: ReadonlyMap<string, AlgorithmProfile>) {
  // RFC 7517 §4.2/§4.3: a key published for encryption, or whose operations exclude `verify`,
  // must not verify signatures.
  if (jwk.use !== undefined && jwk.use !== 'sig') return [];
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return [];
  const fits = (profile: AlgorithmProfile) =>
    profile.kty === jwk.kty && (profile.crv === undefined || profile.crv === jwk.crv);
  if (jwk.alg !== undefined) {
    // A key pinned to one algorithm verifies that algorithm only, and only if it is allowed and
    // fits the key type: this is what defeats algorithm confusion (e.g. RS256 against an EC key).
    if (!isVerifierAlgorithm(jwk.alg)) return [];
    const profile = allowed.get(jwk.alg);
    return profile !== undefined && fits(profile) ? [profile.alg] : [];
  }
  const algs: VerifierAlgorithm[] = [];
  for (const profile of allowed.values()) if (fits(profile)) algs.push(profile.alg);
  return algs;
}

/** A copy holding only the public members of an EC, OKP or RSA JWK; `undefined` for anything else. */
function publicMembers(jwk: Record<string, unknown>): Record<string, string> | undefined {
  const pick = (names: readonly string[]) => {
    const out: Record<string, string> = {};
    for (const name of names) {
      const value = jwk[name];
      if (typeof value !== 'string') return undefined;
      out[name] = value;
    }
    return out;
  };
  switch (jwk.kty) {
    case 'EC':
      return pick(['kty', 'crv', 'x', 'y']);
    case 'OKP':
      return pick(['kty', 'crv', 'x']);
    case 'RSA':
      return pick(['kty', 'n', 'e']);
    default:
      // `oct` (a shared secret) and unknown key types are never imported.
      return undefined;
  }
}

async function importPublicKey(
  jwk: Record<string, string>,
  alg: VerifierAlgorithm,
): Promise<CryptoKey | undefined> {
  try {
    // Extractable: a public key's material is in the JWKS anyway, and the `node:crypto` path turns
    // the CryptoKey into a KeyObject, which for a non-extractable key is deprecated (DEP0204: a
    // warning in Bun and newer Node, an error in a future Node).
    const key = await importJWK(jwk, alg, { extractable: true });
    // `importJWK` returns bytes only for `oct`, which never gets here; checked anyway.
    if (key instanceof Uint8Array || key.type !== 'public') return undefined;
    if (ALGORITHMS[alg].kty === 'RSA') {
      const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
      if (typeof bits !== 'number' || bits < MIN_RSA_BITS) return undefined;
    }
    return key;
  } catch {
    // A key this runtime cannot import (bad point, unsupported curve) is skipped, not fatal.
    return undefined;
  }
}
