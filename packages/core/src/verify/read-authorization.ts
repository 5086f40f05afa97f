import type { AuthorizationScheme } from './request-verifier-types.ts';

/** RFC 6750 §2.1 and RFC 9449 §7.1: the scheme (any case), one or more spaces, a token68. */
const CREDENTIALS = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The scheme and token of an `Authorization` header value, or `undefined` for anything else:
 * another scheme, no token, an ill-formed one, several values joined with a comma.
 *
 * @internal
 */
export function readAuthorization(
  header: string,
): { scheme: AuthorizationScheme; token: string } | undefined {
  const match = CREDENTIALS.exec(header);
  if (match === null) return undefined;
  return { scheme: match[1]!.length === 4 ? 'DPoP' : 'Bearer', token: match[2]! };
}
