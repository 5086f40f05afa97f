/**
 * Keys and hand-made JWS for the hostile-token generators: signing uses `node:crypto` directly, so
 * nothing here shares code with the verifier under test.
 *
 * @module
 */
import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';

/** An asymmetric JWS algorithm the kit can sign or verify with. */
export type TokenAlgorithm = 'ES256' | 'ES384' | 'EdDSA' | 'RS256' | 'PS256';

/** A key pair with the public JWK a JWKS would publish for it. */
export interface TokenKey {
  kid: string;
  alg: TokenAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public members plus `kid`, `alg` and `use: "sig"`. */
  jwk: Record<string, unknown>;
}

function tokenKey(privateKey: KeyObject, alg: TokenAlgorithm, kid: string): TokenKey {
  const publicKey = createPublicKey(privateKey);
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

/** Generates a key pair for `alg` (synchronously; RSA keys are 2048 bits). */
export function generateTokenKey(alg: TokenAlgorithm, kid: string): TokenKey {
  const pair =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'ES256' || alg === 'ES384'
        ? generateKeyPairSync('ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return tokenKey(pair.privateKey, alg, kid);
}

/** The key of a private signing JWK (as `generateSigningKeys` makes them). */
export function tokenKeyFromPrivateJwk(jwk: { kid: string; alg: string }): TokenKey {
  const privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
  return tokenKey(privateKey, jwk.alg as TokenAlgorithm, jwk.kid);
}

const HASH: Record<TokenAlgorithm, string | null> = {
  ES256: 'sha256',
  ES384: 'sha384',
  EdDSA: null,
  RS256: 'sha256',
  PS256: 'sha256',
};

function keyInput(alg: TokenAlgorithm, key: KeyObject, der = false) {
  if (alg === 'ES256' || alg === 'ES384')
    return { key, dsaEncoding: der ? ('der' as const) : ('ieee-p1363' as const) };
  if (alg === 'PS256') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  return key;
}

/** Unpadded base64url of a string (UTF-8) or bytes. */
export const b64u = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

/** A JWS segment holding JSON. */
export const jsonSegment = (value: unknown): string => b64u(JSON.stringify(value));

/** How a forged token is signed. */
export type Signing =
  | { key: TokenKey; der?: boolean }
  | { hmac: string | Uint8Array; hash: 'sha256' | 'sha384' | 'sha512' }
  | { signature: string };

/** A compact JWS from two encoded segments, signed as `signing` says (over the ASCII input). */
export function jws(header: string, payload: string, signing: Signing): string {
  const input = `${header}.${payload}`;
  let signature: string;
  if ('key' in signing) {
    const { key } = signing;
    signature = b64u(
      nodeSign(HASH[key.alg], Buffer.from(input), keyInput(key.alg, key.privateKey, signing.der) as never),
    );
  } else if ('hmac' in signing) {
    signature = b64u(createHmac(signing.hash, signing.hmac).update(input).digest());
  } else {
    signature = signing.signature;
  }
  return `${input}.${signature}`;
}

/** Whether `signature` is `key`'s signature over the UTF-8 bytes of `input`. */
export function signatureValid(key: TokenKey, input: string, signature: Buffer): boolean {
  try {
    // RFC 7515 §5.2: the signing input is ASCII. A string with any other character is, as bytes,
    // not what the issuer signed.
    return nodeVerify(
      HASH[key.alg],
      Buffer.from(input, 'utf8'),
      keyInput(key.alg, key.publicKey) as never,
      signature,
    );
  } catch {
    return false;
  }
}
