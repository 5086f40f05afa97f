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
 * Observability: pass a pino-shaped `logger` for the lines about failed fetches, and `telemetry`
 * (the `@opentelemetry/api` namespace, in a bundle) for the counters `kit.verifications`,
 * `kit.jwks.fetches` and `kit.revocations.fetches`. The types of both options are exported here,
 * so an edge service needs nothing from the `@kit/core` root.
 *
 * @module
 */

export * from '../errors.ts';
export { consoleLogger, type KitLogger } from '../telemetry/logger.ts';
export type { OpenTelemetryApi, TelemetryAttributes } from '../telemetry/open-telemetry-api.ts';
export type { TelemetryOption, TelemetryProviders } from '../telemetry/resolve-telemetry.ts';
export type { Duration } from '../util/duration.ts';
export type { VerifierAlgorithm } from './algorithms.ts';
export { createVerifier, MAX_TOKEN_LENGTH } from './create-verifier.ts';
export type { AccessTokenClaims, AccessTokenVerifier, VerifierJwk, VerifierOptions } from './types.ts';
