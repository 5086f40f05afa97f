/**
 * DPoP proofs (RFC 9449) for the tests: signed with `node:crypto` through the hostile-token
 * helpers, so nothing here shares code with the verifier under test.
 *
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, generatePrimeSync, randomUUID } from 'node:crypto';
import {
  generateTokenKey,
  jsonSegment,
  jws,
  type Signing,
  type TokenAlgorithm,
  type TokenKey,
} from './hostile-tokens/keys.ts';

/** The request the proofs of the tests are made for, unless told otherwise. */
export const DPOP_METHOD = 'POST';
export const DPOP_URL = 'https://auth.example.com/token';
/** The tests' frozen time (ms): the default `iat` of a proof. */
export const DPOP_T0 = Date.UTC(2030, 0, 1, 12);

/** A client's key pair, as a DPoP client holds it. */
export type DpopKey = TokenKey;

/** Generates a client key for `alg` (RSA keys are 2048 bits). */
export function generateDpopKey(alg: TokenAlgorithm): DpopKey {
  return generateTokenKey(alg, `dpop-${alg.toLowerCase()}`);
}

/** The public JWK a proof carries: exported by `node:crypto`, with no `kid`, `alg` or `use`. */
export function publicJwk(key: DpopKey): Record<string, unknown> {
  return { ...key.publicKey.export({ format: 'jwk' }) };
}

/**
 * RFC 7638 thumbprint (SHA-256, base64url) of a client key: what a token bound to it carries as
 * `cnf.jkt`. Computed here from the required members in lexicographic order, apart from the code
 * under test.
 */
export function dpopThumbprint(key: DpopKey): string {
  const jwk = publicJwk(key) as Record<string, string>;
  const members =
    jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : jwk.kty === 'OKP' ? ['crv', 'kty', 'x'] : ['e', 'kty', 'n'];
  const canonical = JSON.stringify(Object.fromEntries(members.map((member) => [member, jwk[member]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

/** How a test proof differs from a valid one. A member set to `undefined` is left out. */
export interface ProofParts {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Another way to sign it (another key, HMAC, a literal signature). */
  signing?: Signing;
}

/**
 * A compact DPoP proof by `key`: header `{ typ: 'dpop+jwt', alg, jwk }`, claims `{ jti (random),
 * htm: POST, htu: DPOP_URL, iat: DPOP_T0 }`, each overridable.
 */
export function makeProof(key: DpopKey, parts: ProofParts = {}): string {
  const header = withoutUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: publicJwk(key), ...parts.header });
  const claims = withoutUndefined({
    jti: randomUUID(),
    htm: DPOP_METHOD,
    htu: DPOP_URL,
    iat: DPOP_T0 / 1000,
    ...parts.claims,
  });
  return jws(jsonSegment(header), jsonSegment(claims), parts.signing ?? { key });
}

/** The `ath` of an access token: base64url SHA-256 of its ASCII bytes. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/**
 * An RS256 client key of 2048 bits whose public exponent is `e` (node's key generator takes 32-bit
 * exponents only): for the bound on the exponent, whose size sets the cost of verification.
 */
export function rsaKeyWithExponent(e: bigint): DpopKey {
  const b64 = (value: bigint) => {
    const hex = value.toString(16);
    return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url');
  };
  const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
  const inverse = (a: bigint, m: bigint) => {
    let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
    while (r1 !== 0n) {
      const quotient = r0 / r1;
      [r0, r1, s0, s1] = [r1, r0 - quotient * r1, s1, s0 - quotient * s1];
    }
    return r0 === 1n ? mod(s0, m) : undefined;
  };
  for (;;) {
    const p = generatePrimeSync(1024, { bigint: true });
    const q = generatePrimeSync(1024, { bigint: true });
    const n = p * q;
    const d = inverse(e, (p - 1n) * (q - 1n));
    const qi = inverse(q, p);
    if (n.toString(2).length !== 2048 || d === undefined || qi === undefined) continue;
    const jwk = {
      kty: 'RSA',
      n: b64(n),
      e: b64(e),
      d: b64(d),
      p: b64(p),
      q: b64(q),
      dp: b64(d % (p - 1n)),
      dq: b64(d % (q - 1n)),
      qi: b64(qi),
    };
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    return { kid: 'dpop-rsa-e', alg: 'RS256', privateKey, publicKey: createPublicKey(privateKey), jwk: {} };
  }
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
