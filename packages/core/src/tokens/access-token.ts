import { KitInvalidOptionsError } from '../errors.ts';
import type { SigningKey } from '../keys/signing-keys.ts';
import { encodeBase64url } from '../util/base64url.ts';

/**
 * Claims the kit sets on every access token. A claims hook may not set any of them.
 */
export const RESERVED_CLAIMS: readonly string[] = Object.freeze([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'sid',
  'client_id',
  'cnf',
  'typ',
]);

const encoder = new TextEncoder();
const headers = new WeakMap<SigningKey, string>();

function headerOf(key: SigningKey): string {
  let header = headers.get(key);
  if (header === undefined) {
    header = encodeBase64url(encoder.encode(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })));
    headers.set(key, header);
  }
  return header;
}

/** What one access token is minted from. */
export interface AccessTokenInput {
  key: SigningKey;
  issuer: string;
  audience: string | readonly string[];
  subject: string;
  clientId: string;
  sessionId: string;
  ttlSeconds: number;
  nowMs: number;
  extraClaims: Record<string, unknown> | undefined;
  /** RFC 7638 thumbprint of the DPoP key the token is bound to: set as `cnf.jkt` (RFC 9449 §6). */
  dpopJkt?: string | null | undefined;
}

/** Checks the claims a host hook returned: a plain object without reserved names. */
export function checkExtraClaims(claims: unknown): Record<string, unknown> | undefined {
  if (claims === undefined || claims === null) return undefined;
  if (typeof claims !== 'object' || Array.isArray(claims)) {
    throw new KitInvalidOptionsError('The `claims` hook must return a plain object (or nothing).');
  }
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIMS.includes(name)) {
      throw new KitInvalidOptionsError(`The \`claims\` hook may not set the reserved claim "${name}".`);
    }
  }
  return claims as Record<string, unknown>;
}

/**
 * Signs an RFC 9068 access token: header `alg`, `kid`, `typ: "at+jwt"`; claims `iss aud sub
 * client_id iat exp jti sid` plus the host's extra claims, and `cnf: { jkt }` for a session bound to
 * a DPoP key.
 *
 * @internal
 */
export async function signAccessToken(
  input: AccessTokenInput,
): Promise<{ token: string; jti: string; exp: number }> {
  const iat = Math.floor(input.nowMs / 1000);
  const exp = iat + input.ttlSeconds;
  const jti = crypto.randomUUID();
  const audience =
    typeof input.audience === 'string' || input.audience.length !== 1 ? input.audience : input.audience[0]!;
  const payload: Record<string, unknown> = {
    ...input.extraClaims,
    iss: input.issuer,
    sub: input.subject,
    aud: audience,
    client_id: input.clientId,
    iat,
    exp,
    jti,
    sid: input.sessionId,
  };
  // Set after the host's claims, which may not name `cnf` (RESERVED_CLAIMS) anyway.
  if (input.dpopJkt) payload.cnf = { jkt: input.dpopJkt };
  // The header of a key never changes; the signing input is header.payload in base64url.
  let json: string;
  try {
    json = JSON.stringify(payload);
  } catch (cause) {
    throw new KitInvalidOptionsError('The `claims` hook returned a value that is not JSON.', { cause });
  }
  const signingInput = `${headerOf(input.key)}.${encodeBase64url(encoder.encode(json))}`;
  const signature = await input.key.sign(encoder.encode(signingInput));
  const token = `${signingInput}.${encodeBase64url(signature)}`;
  return { token, jti, exp };
}
