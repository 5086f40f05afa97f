/**
 * `@kit/core/verify`: access-token verification only, for every Web Crypto runtime (Node, Deno,
 * Bun, Cloudflare Workers, browsers). Imports `jose` and Web APIs, nothing else.
 *
 * @example
 * ```ts
 * import { createVerifier } from '@kit/core/verify';
 *
 * const verify = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 * });
 * const claims = await verify(token);
 * ```
 *
 * @module
 */

export * from '../errors.ts';
export type { Duration } from '../util/duration.ts';
export type { VerifierAlgorithm } from './algorithms.ts';
export { createVerifier, MAX_TOKEN_LENGTH } from './create-verifier.ts';
export type { AccessTokenClaims, AccessTokenVerifier, VerifierJwk, VerifierOptions } from './types.ts';
