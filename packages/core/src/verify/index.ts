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
 * For HTTP requests, `createRequestVerifier` reads the `Authorization` header: `Bearer` tokens, and
 * DPoP-bound tokens (RFC 9449) with their `DPoP` proof; a bound token sent as `Bearer` is refused.
 * It is a separate export, so a Worker that only verifies Bearer tokens does not carry it.
 *
 * Observability: pass a pino-shaped `logger` for the lines about failed fetches, and `telemetry`
 * (the `@opentelemetry/api` namespace, in a bundle) for the counters `kit.verifications`,
 * `kit.jwks.fetches` and `kit.revocations.fetches`. The types of both options are exported here,
 * so an edge service needs nothing from the `@kit/core` root.
 *
 * @module
 */

export {
  createMemoryDpopReplayCache,
  type MemoryDpopReplayCacheOptions,
} from '../dpop/create-memory-dpop-replay-cache.ts';
export type { DpopReplayCache } from '../dpop/replay-cache.ts';
export type { DpopAlgorithm } from '../dpop/types.ts';
export * from '../errors.ts';
export { consoleLogger, type KitLogger } from '../telemetry/logger.ts';
export type { OpenTelemetryApi, TelemetryAttributes } from '../telemetry/open-telemetry-api.ts';
export type { TelemetryOption, TelemetryProviders } from '../telemetry/resolve-telemetry.ts';
export type { Duration } from '../util/duration.ts';
export type { VerifierAlgorithm } from './algorithms.ts';
export { createRequestVerifier } from './create-request-verifier.ts';
export { createVerifier, MAX_TOKEN_LENGTH } from './create-verifier.ts';
export type {
  AuthorizationScheme,
  RequestDpopOptions,
  RequestVerifier,
  RequestVerifierOptions,
  VerifiableRequest,
  VerifiedRequest,
} from './request-verifier-types.ts';
export type { AccessTokenClaims, AccessTokenVerifier, VerifierJwk, VerifierOptions } from './types.ts';
