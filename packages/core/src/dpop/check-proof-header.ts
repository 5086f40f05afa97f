import { KitDpopProofInvalidError } from '../errors.ts';
import type { AlgorithmProfile } from '../verify/algorithms.ts';
import { decodeJsonSegment } from '../verify/decode-segment.ts';
import { requiredMembers, thumbprintInput } from './thumbprint-input.ts';

/**
 * A proof header that passed every check that needs no cryptography.
 *
 * @internal
 */
export interface CheckedProofHeader {
  readonly profile: AlgorithmProfile;
  /** The key's required members, and nothing else: what is imported. */
  readonly members: Record<string, string>;
  /** Their RFC 7638 thumbprint input: names the key in the key cache and yields `jkt`. */
  readonly canonical: string;
}

/**
 * Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
 * A proof carrying one has leaked its signing key, or is an attempt to make the verifier hold a
 * secret: refused either way.
 */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Length of `x` (and `y`) in base64url characters, per curve: fixed, so nothing else is read. */
const COORDINATE_LENGTH: Readonly<Record<string, number>> = Object.freeze({
  'P-256': 43,
  'P-384': 64,
  Ed25519: 43,
});

/**
 * RSA modulus bounds in base64url characters: 2048 bits (342) to 4096 bits (683, one more for a
 * leading zero octet some libraries add). The exponent is at most four octets: verification cost
 * grows with its size (an exponent as long as the modulus costs as much as signing), and real keys
 * use 65537 (`AQAB`).
 */
const RSA_MODULUS_CHARS = { min: 342, max: 684 } as const;
const RSA_EXPONENT_MAX_CHARS = 6;

/**
 * Parses and checks a DPoP proof's protected header (RFC 9449 §4.2, §4.3 points 2 to 5 and 7):
 * `typ` exactly `dpop+jwt`, `alg` in the allow-list, `jwk` a public key that fits `alg`. Throws
 * {@link KitDpopProofInvalidError}; never quotes the header.
 *
 * @internal
 */
export function checkProofHeader(
  encoded: string,
  allowed: ReadonlyMap<string, AlgorithmProfile>,
): CheckedProofHeader {
  const header = decodeJsonSegment(encoded);
  if (header === undefined) throw new KitDpopProofInvalidError('malformed');
  // RFC 7515 §4.1.11: a critical extension we do not implement makes the JWS invalid; we implement
  // none. `b64: false` (RFC 7797) would change what is signed.
  if (header.crit !== undefined || (header.b64 !== undefined && header.b64 !== true)) {
    throw new KitDpopProofInvalidError('malformed');
  }
  // Explicit typing (RFC 8725 §3.11): an access token, an ID token or any other JWT signed by the
  // client's key is not a proof.
  if (header.typ !== 'dpop+jwt') throw new KitDpopProofInvalidError('typ');
  // A Map lookup: `none`, `HS256` and `__proto__` find nothing.
  const profile = typeof header.alg === 'string' ? allowed.get(header.alg) : undefined;
  if (profile === undefined) throw new KitDpopProofInvalidError('alg');
  const members = checkProofJwk(header.jwk, profile);
  return { profile, members, canonical: thumbprintInput(members) };
}

/** The required members of a `jwk` that is a public key fit for `profile`, or a `jwk` failure. */
function checkProofJwk(jwk: unknown, profile: AlgorithmProfile): Record<string, string> {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new KitDpopProofInvalidError('jwk');
  }
  const record = jwk as Record<string, unknown>;
  for (const name of PRIVATE_MEMBERS) {
    if (Object.hasOwn(record, name)) throw new KitDpopProofInvalidError('jwk');
  }
  // The key type and curve follow from `alg`: this is what stops algorithm confusion (RS256
  // against an EC key), and what refuses `kty: "oct"`, which no algorithm here takes.
  if (record.kty !== profile.kty || (profile.crv !== undefined && record.crv !== profile.crv)) {
    throw new KitDpopProofInvalidError('jwk');
  }
  // RFC 7517 §4.2 to §4.4: a key that says it is for another algorithm or use is not used.
  if (record.alg !== undefined && record.alg !== profile.alg) throw new KitDpopProofInvalidError('jwk');
  if (record.use !== undefined && record.use !== 'sig') throw new KitDpopProofInvalidError('jwk');
  if (record.key_ops !== undefined && !(Array.isArray(record.key_ops) && record.key_ops.includes('verify'))) {
    throw new KitDpopProofInvalidError('jwk');
  }
  const members = requiredMembers(record);
  if (members === undefined || !sizesFit(members)) throw new KitDpopProofInvalidError('jwk');
  return members;
}

/** Whether the key's members have the sizes its type allows: bounds the import's work. */
function sizesFit(members: Record<string, string>): boolean {
  if (members.kty === 'RSA') {
    const n = members.n!.length;
    return (
      n >= RSA_MODULUS_CHARS.min && n <= RSA_MODULUS_CHARS.max && members.e!.length <= RSA_EXPONENT_MAX_CHARS
    );
  }
  const length = COORDINATE_LENGTH[members.crv!];
  return (
    length !== undefined &&
    members.x!.length === length &&
    (members.y === undefined || members.y.length === length)
  );
}
