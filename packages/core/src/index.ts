export {
  type AuthKit,
  type ClientContext,
  type CreateSessionInput,
  createAuthKit,
  type RevocationList,
  type SessionManager,
  type TokenSet,
} from './create-auth-kit.ts';
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
export { type AuthKitOptions, DEFAULTS } from './options.ts';
export type { Pruner, PrunerOptions } from './pruner.ts';
export { purgeSessions } from './purge-sessions.ts';
export type { Session } from './session.ts';
export type { RateLimitHit, RateLimitStore } from './store/rate-limit-store.ts';
export type { RotateInput, SessionRecord, SessionStatus, SessionStore } from './store/session-store.ts';
export { RESERVED_CLAIMS } from './tokens/access-token.ts';
export { REFRESH_TOKEN_PREFIX } from './tokens/refresh-token.ts';
export { type Duration, toSeconds } from './util/duration.ts';
export { type AccessTokenClaims, createVerifier, type VerifierOptions } from './verify/index.ts';
