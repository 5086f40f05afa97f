/**
 * The DPoP client side of the HTTP figures (RFC 9449): a client's ES256 key and the proofs it
 * signs, one fresh proof per request, as the load generator sends them. What does not change from
 * one request to the next is computed once: the key, the proof header (with the public JWK) in
 * base64url, and the claims' text around `jti` and `iat`. Per request: a random `jti`, `iat` now,
 * the claims in base64url and one ES256 signature (`node:crypto`, the generator's own CPU).
 */
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';

/** One DPoP client: its key's RFC 7638 thumbprint, and proofs signed by it. */
export interface DpopClient {
  /** RFC 7638 thumbprint (SHA-256, base64url) of the client's public key: a bound token's `cnf.jkt`. */
  readonly jkt: string;
  /**
   * Makes proofs for one method and URL (`htu`), with `ath` when `accessToken` is given (a request to
   * a protected resource). Each call of the returned function signs a fresh proof: a new random
   * `jti`, `iat` the current second.
   */
  prover(method: string, url: string, accessToken?: string): () => string;
}

/** `ath`: the base64url SHA-256 of an access token's ASCII bytes (RFC 9449 §4.2). */
export const accessTokenHash = (token: string): string =>
  createHash('sha256').update(token, 'ascii').digest('base64url');

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** A new client with a P-256 key of its own. */
export function createDpopClient(): DpopClient {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { crv, kty, x, y } = publicKey.export({ format: 'jwk' });
  const jwk = { kty, crv, x, y };
  const header = b64(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk }));
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const jkt = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  const signing = { key: privateKey, dsaEncoding: 'ieee-p1363' } as const;
  return {
    jkt,
    prover(method, url, accessToken) {
      const middle = `,${JSON.stringify({ htm: method, htu: url, ...(accessToken === undefined ? {} : { ath: accessTokenHash(accessToken) }) }).slice(1, -1)},"iat":`;
      return () => {
        const claims = `{"jti":"${randomUUID()}"${middle}${Math.floor(Date.now() / 1000)}}`;
        const input = `${header}.${b64(claims)}`;
        return `${input}.${sign('sha256', Buffer.from(input), signing).toString('base64url')}`;
      };
    },
  };
}
