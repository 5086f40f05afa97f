/**
 * The RFC 7638 thumbprint input of a public key: its required members only, in lexicographic
 * order, as JSON without whitespace.
 *
 * @module
 */

/**
 * Required members of each key type, in lexicographic order (RFC 7638 §3.2; RFC 8037 §2 for
 * `OKP`). `oct` is left out on purpose: the kit never takes a symmetric key as a client's key.
 */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  EC: Object.freeze(['crv', 'kty', 'x', 'y']),
  OKP: Object.freeze(['crv', 'kty', 'x']),
  RSA: Object.freeze(['e', 'kty', 'n']),
});

/** Curves a thumbprint may name, per key type. */
const CURVES: Readonly<Record<string, ReadonlySet<string>>> = Object.freeze({
  EC: new Set(['P-256', 'P-384', 'P-521']),
  OKP: new Set(['Ed25519']),
});

/**
 * The required members of an EC (P-256, P-384, P-521), OKP (Ed25519) or RSA public key, as a
 * new object holding nothing else, or `undefined` when `jwk` is not such a key (another `kty` or
 * curve, a member missing, empty or not a string). Private members are never copied.
 *
 * @internal
 */
export function requiredMembers(jwk: unknown): Record<string, string> | undefined {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return undefined;
  const record = jwk as Record<string, unknown>;
  const kty = record.kty;
  // Own-property lookups: `kty: "__proto__"` or `"toString"` must find nothing.
  if (typeof kty !== 'string' || !Object.hasOwn(REQUIRED_MEMBERS, kty)) return undefined;
  const curves = Object.hasOwn(CURVES, kty) ? CURVES[kty] : undefined;
  if (curves !== undefined && !(typeof record.crv === 'string' && curves.has(record.crv))) return undefined;
  const out: Record<string, string> = {};
  for (const name of REQUIRED_MEMBERS[kty]!) {
    const value = record[name];
    if (typeof value !== 'string' || value === '') return undefined;
    out[name] = value;
  }
  return out;
}

/**
 * The RFC 7638 §3 thumbprint input of `members` (as {@link requiredMembers} returns them): JSON
 * of exactly those members, in lexicographic order, with no whitespace. `JSON.stringify` escapes
 * strings as RFC 7638 §3.3 requires and keeps the insertion order, which `requiredMembers` made
 * lexicographic.
 *
 * @internal
 */
export function thumbprintInput(members: Record<string, string>): string {
  return JSON.stringify(members);
}
