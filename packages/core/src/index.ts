/**
 * `@kit/core`: the kit itself. {@link createAuthKit} opens sessions, rotates refresh tokens with
 * grace and reuse detection, signs access tokens and administers sessions; the store and key-store
 * interfaces, the errors and their codes, key and secret generation, and DPoP (RFC 9449): proof
 * verification, RFC 7638 thumbprints and the per-process replay cache. Runtime-agnostic: the
 * PostgreSQL side is in `@kit/core/mikro-orm`, edge verification in `@kit/core/verify`.
 *
 * @example
 * ```ts
 * import { createAuthKit } from '@kit/core';
 * import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * await migrate(orm);
 * const kit = await createAuthKit({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   secret: process.env.KIT_SECRET!,
 *   signingKeys: process.env.KIT_SIGNING_KEYS!,
 *   store: createMikroOrmStore({ orm }),
 * });
 * const { accessToken, refreshToken } = await kit.createSession({ userId: 'user-1' });
 * ```
 *
 * @module
 */

export { createDpopProofVerifier } from './dpop/create-dpop-proof-verifier.ts';
export {
  createMemoryDpopReplayCache,
  type MemoryDpopReplayCacheOptions,
} from './dpop/create-memory-dpop-replay-cache.ts';
export { jwkThumbprint, type ThumbprintJwk } from './dpop/jwk-thumbprint.ts';
export { type DpopReplayCache, validateDpopReplayEntry } from './dpop/replay-cache.ts';
export type {
  DpopAlgorithm,
  DpopProof,
  DpopProofRequest,
  DpopProofVerifier,
  DpopProofVerifierOptions,
} from './dpop/types.ts';
export * from './errors.ts';
export type { KitEventListener, KitEvents } from './events.ts';
export { isSigningAlgorithm, SIGNING_ALGORITHMS, type SigningAlgorithm } from './keys/algorithms.ts';
export { generateSecret } from './keys/generate-secret.ts';
export type { SigningKeyStore, SigningKeyStoreTransaction, StoredSigningKey } from './keys/key-store.ts';
export {
  generateSigningKeys,
  importSigningKeys,
  type PrivateJwks,
  type PrivateSigningJwk,
  type PublicJwk,
  type SigningKey,
  type SigningKeySet,
} from './keys/signing-keys.ts';
export { createAuthKit } from './kit/create-auth-kit.ts';
export type { KitClaims, KitClaimsHook, KitSessionData, KitTypes } from './kit/kit-types.ts';
export type {
  AuthKit,
  ClientContext,
  CreateSessionInput,
  ReadinessReport,
  RefreshOptions,
  RevocationFeed,
  SessionDpopProof,
  SessionManager,
  TokenSet,
  TokenType,
} from './kit/types.ts';
export { type AuthKitOptions, DEFAULTS } from './options.ts';
export type { Pruner, PrunerOptions } from './pruner.ts';
export { purgeSessions } from './purge-sessions.ts';
export type { Session } from './session.ts';
export { createMemorySessionStore } from './store/create-memory-session-store.ts';
export type { RateLimitHit, RateLimitStore } from './store/rate-limit-store.ts';
export type {
  PurgeLock,
  RotateInput,
  SessionRecord,
  SessionStatus,
  SessionStore,
} from './store/session-store.ts';
export { validateRateLimitHit } from './store/validate-rate-limit-hit.ts';
export type { TelemetryOption, TelemetryProviders } from './telemetry/load-telemetry.ts';
export { consoleLogger, type KitLogger } from './telemetry/logger.ts';
export type { OpenTelemetryApi, TelemetryAttributes } from './telemetry/open-telemetry-api.ts';
export { RESERVED_CLAIMS } from './tokens/access-token.ts';
export { REFRESH_TOKEN_PREFIX } from './tokens/refresh-token.ts';
export { type Duration, toOptionSeconds, toSeconds } from './util/duration.ts';
// Types only: `createVerifier` itself is imported from `@kit/core/verify`, whose `node` export
// condition picks the `node:crypto` signature path; a root re-export would hand Node the Web Crypto one.
export type { AccessTokenClaims, VerifierOptions } from './verify/types.ts';
