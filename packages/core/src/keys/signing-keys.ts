import { calculateJwkThumbprint, compactVerify, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { KitKeyInvalidError } from '../errors.ts';
import { decodeBase64url, encodeBase64url } from '../util/base64url.ts';
import { isSigningAlgorithm, KEY_SHAPE, SIGNING_ALGORITHMS, type SigningAlgorithm } from './algorithms.ts';
import { createSigner, type Signer } from './create-signer.ts';

/**
 * A private signing key as a JWK: `kid`, `alg` and `use: "sig"` always set.
 */
export interface PrivateSigningJwk extends JWK {
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

/**
 * A public JWK as published in the JWKS: no private member ever.
 */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

/**
 * A JWK set with private members, as `KIT_SIGNING_KEYS` holds it.
 */
export interface PrivateJwks {
  keys: PrivateSigningJwk[];
}

/**
 * One imported signing key, ready to sign. Part of a {@link SigningKeySet}.
 */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicJwk: PublicJwk;
  /** Signs a JWS signing input; returns the signature bytes. */
  readonly sign: Signer;
}

/**
 * An imported key set. The first key signs; every key is published in the JWKS, so tokens signed by
 * a previous key keep verifying while it is listed.
 */
export interface SigningKeySet {
  /** The key that signs new access tokens. */
  readonly current: SigningKey;
  /** Every key, current first. */
  readonly keys: readonly SigningKey[];
  /** The public JWKS: public members only. */
  publicJwks(): { keys: PublicJwk[] };
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/**
 * Generates a signing key set with one fresh key pair, as a JWKS with private members (the format
 * of `KIT_SIGNING_KEYS`). The `kid` is the key's RFC 7638 thumbprint.
 *
 * The CLI runs it as `kit keys generate`.
 *
 * @default alg `'ES256'`; RSA keys are 2048 bits unless `modulusLength` says more.
 * @example
 * ```ts
 * import { generateSigningKeys } from '@kit/core';
 *
 * const jwks = await generateSigningKeys({ alg: 'EdDSA' });
 * console.log(JSON.stringify(jwks)); // store it as KIT_SIGNING_KEYS
 * ```
 */
export async function generateSigningKeys(
  options: { alg?: SigningAlgorithm; modulusLength?: number } = {},
): Promise<PrivateJwks> {
  const alg = options.alg ?? 'ES256';
  if (!isSigningAlgorithm(alg)) {
    throw new KitKeyInvalidError(`Unsupported algorithm; use one of ${SIGNING_ALGORITHMS.join(', ')}.`);
  }
  const isRsa = alg === 'RS256' || alg === 'PS256';
  const modulusLength = options.modulusLength ?? 2048;
  if (isRsa && (!Number.isInteger(modulusLength) || modulusLength < 2048 || modulusLength > 16384)) {
    throw new KitKeyInvalidError('`modulusLength` must be a whole number of bits from 2048 to 16384.');
  }
  const { privateKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, {
    extractable: true,
    ...(isRsa ? { modulusLength } : {}),
  });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { keys: [{ ...jwk, kid, alg, use: 'sig' } as PrivateSigningJwk] };
}

function describe(index: number): string {
  return `signing key #${index + 1}`;
}

/** Validates one private JWK and returns its public half; throws naming the problem, never the key. */
function checkPrivateJwk(value: unknown, index: number): { jwk: PrivateSigningJwk; pub: PublicJwk } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KitKeyInvalidError(`${describe(index)} is not a JWK object.`);
  }
  const jwk = value as Record<string, unknown>;
  if (jwk.kty === 'oct') {
    throw new KitKeyInvalidError(
      `${describe(index)} is a symmetric key; access tokens are signed with asymmetric keys only (ES256, EdDSA, ES384, RS256, PS256).`,
    );
  }
  if (!isSigningAlgorithm(jwk.alg)) {
    throw new KitKeyInvalidError(
      `${describe(index)} needs "alg" set to one of ${SIGNING_ALGORITHMS.join(', ')}.`,
    );
  }
  const alg = jwk.alg;
  const shape = KEY_SHAPE[alg];
  if (jwk.kty !== shape.kty || (shape.crv !== undefined && jwk.crv !== shape.crv)) {
    throw new KitKeyInvalidError(
      `${describe(index)} has alg ${alg} but is not a ${shape.kty}${shape.crv ? ` ${shape.crv}` : ''} key.`,
    );
  }
  if (typeof jwk.d !== 'string') {
    throw new KitKeyInvalidError(
      `${describe(index)} has no private member "d"; a signing key set needs private keys.`,
    );
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw new KitKeyInvalidError(`${describe(index)} has "use" other than "sig".`);
  }
  if (jwk.key_ops !== undefined) {
    if (!Array.isArray(jwk.key_ops) || !jwk.key_ops.includes('sign')) {
      throw new KitKeyInvalidError(`${describe(index)} has "key_ops" that do not allow "sign".`);
    }
  }
  if (alg === 'RS256' || alg === 'PS256') {
    const modulus = typeof jwk.n === 'string' ? decodeBase64url(jwk.n) : undefined;
    if (!modulus || modulus.length < 256) {
      throw new KitKeyInvalidError(`${describe(index)} is an RSA key under 2048 bits.`);
    }
  }
  const kid = jwk.kid;
  if (
    kid !== undefined &&
    (typeof kid !== 'string' || kid.length === 0 || kid.length > 128 || !/^[\x21-\x7e]+$/.test(kid))
  ) {
    throw new KitKeyInvalidError(
      `${describe(index)} has a "kid" that is not 1-128 printable ASCII characters.`,
    );
  }
  const pub: Record<string, unknown> = {};
  for (const member of PUBLIC_MEMBERS) if (jwk[member] !== undefined) pub[member] = jwk[member];
  return {
    jwk: jwk as unknown as PrivateSigningJwk,
    pub: { ...(pub as Omit<PublicJwk, 'kid' | 'alg' | 'use'>), kid: (kid as string) ?? '', alg, use: 'sig' },
  };
}

/**
 * Imports a JWKS with private members (an object or its JSON text, such as `KIT_SIGNING_KEYS`).
 * Each key must be asymmetric, name its `alg`, and carry its private members; a missing `kid` is
 * set to the RFC 7638 thumbprint. The first key signs.
 *
 * @throws {KitKeyInvalidError} for a symmetric key, a missing private key, an `alg` that does not
 *   fit the key, an RSA key under 2048 bits, duplicate `kid`s or an empty set. The message never
 *   contains key material.
 * @example
 * ```ts
 * import { importSigningKeys } from '@kit/core';
 *
 * const keySet = await importSigningKeys(process.env.KIT_SIGNING_KEYS!);
 * const jwks = keySet.publicJwks(); // serve this at /.well-known/jwks.json
 * ```
 */
export async function importSigningKeys(input: string | PrivateJwks): Promise<SigningKeySet> {
  let parsed: unknown = input;
  if (typeof input === 'string') {
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new KitKeyInvalidError('The signing key set is not valid JSON; expected {"keys":[...]}.');
    }
  }
  const list = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) {
    throw new KitKeyInvalidError('The signing key set must be a JWKS {"keys":[...]} with at least one key.');
  }
  const keys: SigningKey[] = [];
  const seen = new Set<string>();
  for (const [index, value] of list.entries()) {
    const { jwk, pub } = checkPrivateJwk(value, index);
    const kid = pub.kid || (await calculateJwkThumbprint(pub as JWK, 'sha256'));
    if (seen.has(kid)) throw new KitKeyInvalidError(`${describe(index)} repeats a "kid" already in the set.`);
    seen.add(kid);
    let privateKey: CryptoKey;
    let sign: Signer;
    try {
      const { kid: _kid, use: _use, key_ops: _ops, ext: _ext, ...material } = jwk;
      privateKey = (await importJWK({ ...material, alg: jwk.alg }, jwk.alg, {
        extractable: false,
      })) as CryptoKey;
      sign = createSigner(jwk.alg, privateKey, material);
      // Prove the private key belongs to the published public key: runtimes check this for EC and
      // OKP keys on import, but not for RSA, whose mismatched key would sign tokens nobody verifies.
      const probe = `${encodeBase64url(new TextEncoder().encode(JSON.stringify({ alg: jwk.alg })))}.e30`;
      const signature = await sign(new TextEncoder().encode(probe));
      await compactVerify(`${probe}.${encodeBase64url(signature)}`, await importJWK({ ...pub }, jwk.alg));
    } catch (cause) {
      // jose's message may quote the input; keep it only as `cause`.
      throw new KitKeyInvalidError(`${describe(index)} could not be imported.`, { cause });
    }
    keys.push(
      Object.freeze({ kid, alg: jwk.alg, privateKey, publicJwk: Object.freeze({ ...pub, kid }), sign }),
    );
  }
  const frozen = Object.freeze(keys);
  return Object.freeze({
    current: frozen[0]!,
    keys: frozen,
    publicJwks: () => ({ keys: frozen.map((k) => ({ ...k.publicJwk })) }),
  });
}
