import type { AuthKit } from '@kit/core';
// The Web Crypto path explicitly: on Node, `@kit/core/verify` resolves to the node:crypto path,
// which crypto-paths.ts measures against its own limit.
import { createWebCryptoVerifier as createVerifier } from '@kit/core/internal';
import type { MakeOperation } from './harness.ts';

/**
 * Access-token verification benchmarks: `kit.verifyAccessToken`, `createVerifier` from
 * `@kit/core/verify` with a local JWKS, and the physical limit, a bare `crypto.subtle.verify`.
 *
 * Verification is CPU-bound and needs no I/O, so each runs as one sequential caller (main.ts
 * measures them at concurrency 1): more callers would only measure the scheduling of promises.
 * All three verify the same ES256 token minted by the kit, with the same Web Crypto primitive
 * underneath, and check the outcome, so none can win by skipping work it claims to do.
 */

const USER = 'bench-verify';

/**
 * A fresh access token of the kit. main.ts gives the bench's kit a 1-hour access-token lifetime so
 * the token outlasts any reasonable BENCH_SECONDS; an expired token would make the kit's verifiers
 * throw and stop the run loudly rather than measure a rejection.
 */
export async function mintAccessToken(kit: AuthKit): Promise<string> {
  return (await kit.createSession({ userId: USER })).accessToken;
}

/** `kit.verifyAccessToken(token)`: signature, header and every RFC 9068 claim checked. */
export function kitVerify(kit: AuthKit, token: string): MakeOperation {
  return () => async () => {
    const claims = await kit.verifyAccessToken(token);
    if (claims.sub !== USER) throw new Error('kit.verifyAccessToken returned the wrong claims.');
  };
}

/** `createVerifier({ issuer, audience, jwks })`, Web Crypto path, as an edge service runs it. */
export function edgeVerify(kit: AuthKit, token: string): MakeOperation {
  return () => {
    const verify = createVerifier({
      issuer: kit.config.issuer,
      audience: kit.config.audience,
      jwks: kit.jwks(),
    });
    return async () => {
      const claims = await verify(token);
      if (claims.sub !== USER) throw new Error('createVerifier returned the wrong claims.');
    };
  };
}

/**
 * The physical limit: only what checking an ES256 signature strictly needs. The public key is
 * imported once as a CryptoKey; per token: find the last dot, base64url-decode the signature,
 * encode the signing input and call `crypto.subtle.verify`. No header or claim is parsed or
 * checked, which is exactly the work the kit must add on top.
 */
export function rawVerify(kit: AuthKit, token: string): MakeOperation {
  return async () => {
    const jwk = kit.jwks().keys[0];
    if (jwk?.alg !== 'ES256') throw new Error('The bench expects the kit to sign with ES256.');
    const key = await crypto.subtle.importKey(
      'jwk',
      { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JsonWebKey,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const algorithm = { name: 'ECDSA', hash: 'SHA-256' };
    const encoder = new TextEncoder();
    return async () => {
      const dot = token.lastIndexOf('.');
      const signature = Buffer.from(token.slice(dot + 1), 'base64url');
      const valid = await crypto.subtle.verify(
        algorithm,
        key,
        signature,
        encoder.encode(token.slice(0, dot)),
      );
      if (!valid) throw new Error('The raw ES256 verification failed.');
    };
  };
}
