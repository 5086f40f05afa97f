import type { DpopProofVerifierOptions } from './dpop/types.ts';
import { KitInvalidOptionsError } from './errors.ts';
import type { KitEvents } from './events.ts';
import { isSigningAlgorithm, SIGNING_ALGORITHMS, type SigningAlgorithm } from './keys/algorithms.ts';
import type { SigningKeyStore } from './keys/key-store.ts';
import type { PrivateJwks, SigningKeySet } from './keys/signing-keys.ts';
import type { KitClaimsHook, KitTypes } from './kit/kit-types.ts';
import type { SessionStore } from './store/session-store.ts';
import type { TelemetryOption } from './telemetry/load-telemetry.ts';
import type { KitLogger } from './telemetry/logger.ts';
import { type Duration, toOptionSeconds } from './util/duration.ts';

/**
 * Options of {@link createAuthKit}. Checked when the factory runs; a wrong option throws
 * `KitInvalidOptionsError` with a message that says what to set. `T` is the kit's
 * {@link KitTypes}: it types the `claims` hook.
 */
export interface AuthKitOptions<T extends KitTypes = KitTypes> {
  /** `iss` of every access token: an absolute http(s) URL. */
  issuer: string;
  /** `aud` of every access token: one or more non-empty strings. */
  audience: string | readonly string[];
  /**
   * The server secret (`KIT_SECRET`): at least 32 bytes of high-entropy text, for example
   * `kit secret generate`. Keys derived from it authenticate refresh tokens and derive each
   * successor; it never leaves the server.
   */
  secret: string | Uint8Array;
  /**
   * Secrets that were `KIT_SECRET` before, still accepted while a secret rotation runs (see
   * docs/keys.md): refresh tokens tagged under them keep working and are re-tagged under `secret`
   * on their next refresh, and stored signing keys encrypted under them are re-encrypted. Keep one
   * for at least `sessionIdleTtl` after it stopped being `secret`.
   * @default []
   */
  previousSecrets?: readonly (string | Uint8Array)[];
  /**
   * The signing keys: a JWKS with private members (its JSON text, as `KIT_SIGNING_KEYS`, or the
   * object) or an already imported {@link SigningKeySet}. The first key signs. Set exactly one of
   * `signingKeys` and `keyStore`.
   */
  signingKeys?: string | PrivateJwks | SigningKeySet | undefined;
  /**
   * The database key store (`createMikroOrmKeyStore({ orm })` from `@kit/core/mikro-orm`), instead
   * of `signingKeys`: keys are generated, encrypted at rest under `secret`, shared by every
   * instance on the database and rotated (see `keyRotation`).
   */
  keyStore?: SigningKeyStore | undefined;
  /** Rotation of keys in the `keyStore`; ignored with `signingKeys`. */
  keyRotation?: {
    /** Algorithm of generated keys. @default 'ES256' */
    algorithm?: SigningAlgorithm;
    /** Time between scheduled rotations, or `false` for on-demand only. @default '30d' */
    every?: Duration | false;
    /**
     * How often each instance reloads the key set from the store. A new key is published
     * `jwksMaxAge + refreshInterval` before it signs.
     * @default 30
     */
    refreshInterval?: Duration;
  };
  /** Where sessions live; `createMikroOrmStore({ orm })` from `@kit/core/mikro-orm`. */
  store: SessionStore;
  /**
   * Lifetime of access tokens.
   * @default 300 (5 minutes)
   */
  accessTokenTtl?: Duration;
  /**
   * Idle lifetime of a session: it expires when not refreshed for this long. Slides forward on
   * each refresh, never past the absolute expiry.
   * @default 2592000 (30 days)
   */
  sessionIdleTtl?: Duration;
  /**
   * Absolute lifetime of a session from its creation. Never slides on its own.
   * @default 7776000 (90 days)
   */
  sessionMaxAge?: Duration;
  /**
   * How long after a rotation the previous refresh token still answers with the identical current
   * token (lost responses, retries, two tabs). `0` disables the grace.
   * @default 10
   */
  reuseGrace?: Duration;
  /**
   * How long verifiers may cache the JWKS (`Cache-Control: public, max-age`). A new signing key must
   * be published at least this long before it signs.
   * @default 300 (5 minutes)
   */
  jwksMaxAge?: Duration;
  /**
   * `client_id` of access tokens for sessions opened without one.
   * @default 'default'
   */
  clientId?: string;
  /**
   * Adds claims to every access token (on creation and on each refresh). May not set reserved
   * claims (`iss sub aud exp nbf iat jti sid client_id cnf typ`). Never put secrets or the whole
   * session data here: access tokens are readable by anyone who holds them.
   *
   * On refresh the hook runs after the rotation is committed. It should not fail: if it throws,
   * the refresh rejects, and the client still holding the previous token gets the rotated one on a
   * retry within `reuseGrace` (a retry after that counts as reuse).
   *
   * With `T['claims']` declared, the hook is required and must return those claims.
   */
  claims?: KitClaimsHook<T>;
  /**
   * Largest accepted session `data`, in bytes of JSON.
   * @default 16384
   */
  maxDataBytes?: number;
  /**
   * The clock, in milliseconds since the epoch. Every expiry decision uses it (never the
   * database's clock), so tests can freeze it.
   * @default Date.now
   */
  clock?: () => number;
  /**
   * Called when an event listener throws or rejects. The operation that emitted the event is not
   * affected.
   * @default logs the event and the error's code or class name through `logger`, at error level
   */
  onListenerError?: (error: unknown, event: keyof KitEvents) => void;
  /**
   * Where the kit logs (a pino logger fits): a failed listener, signing keys that did not reload,
   * the pruner's failures. Lines carry an error code, never a token, secret, key, hash or message.
   * @default nothing is logged
   */
  logger?: KitLogger;
  /**
   * OpenTelemetry: left out, the kit reports through `@opentelemetry/api` when it is installed, to
   * the providers registered when `createAuthKit` runs; `false` turns it off. See
   * `docs/observability.md` for the instruments and spans.
   */
  telemetry?: TelemetryOption;
  /**
   * DPoP (RFC 9449): sessions bound to a client's key. With it, `kit.createSession({ dpop })`
   * binds a session to the key of the login request's proof, and `kit.refresh(token, { dpop })`
   * checks each refresh's proof against that key. Proofs are checked with the kit's `clock`.
   * `replayCache` must be shared by every instance (`createMikroOrmDpopReplayCache({ orm })` from
   * `@kit/core/mikro-orm`, or `createRedisDpopReplayCache` from `@kit/core/redis`;
   * `createMemoryDpopReplayCache()` for a single process). See `docs/dpop.md`.
   *
   * Without it, a call that passes a proof rejects with `ERR_INVALID_OPTIONS`, and so does the
   * refresh of a session bound earlier (never treated as a Bearer session): keep the option as long
   * as bound sessions live.
   *
   * @default undefined: no DPoP
   * @example
   * ```ts
   * import { createAuthKit } from '@kit/core';
   * import { createMikroOrmDpopReplayCache } from '@kit/core/mikro-orm';
   *
   * const kit = await createAuthKit({ ...options, dpop: { replayCache: createMikroOrmDpopReplayCache({ orm }) } });
   * ```
   */
  dpop?: Omit<DpopProofVerifierOptions, 'clock'> | undefined;
}

/** Options after defaults and validation. @internal */
export interface ResolvedOptions {
  issuer: string;
  audience: string | readonly string[];
  secret: Uint8Array;
  previousSecrets: Uint8Array[];
  keyRotation: {
    algorithm: SigningAlgorithm;
    every: number | false;
    refreshInterval: number;
    leadTime: number;
  };
  accessTokenTtl: number;
  sessionIdleTtl: number;
  sessionMaxAge: number;
  reuseGrace: number;
  jwksMaxAge: number;
  clientId: string;
  maxDataBytes: number;
  clock: () => number;
}

/**
 * Every default of {@link AuthKitOptions}, in one place (durations in seconds).
 */
export const DEFAULTS = Object.freeze({
  accessTokenTtl: 300,
  sessionIdleTtl: 30 * 86400,
  sessionMaxAge: 90 * 86400,
  reuseGrace: 10,
  jwksMaxAge: 300,
  keyRotationEvery: 30 * 86400,
  keyRefreshInterval: 30,
  clientId: 'default',
  maxDataBytes: 16 * 1024,
});

function checkSecret(value: unknown, name: string): Uint8Array {
  let secret: Uint8Array;
  if (typeof value === 'string') secret = new TextEncoder().encode(value);
  else if (value instanceof Uint8Array) secret = value.slice();
  else
    throw new KitInvalidOptionsError(
      `Set ${name} to at least 32 bytes of random text; \`kit secret generate\` makes one.`,
    );
  if (secret.length < 32) {
    throw new KitInvalidOptionsError(`${name} is shorter than 32 bytes; \`kit secret generate\` makes one.`);
  }
  if (new Set(secret).size < 8) {
    throw new KitInvalidOptionsError(`${name} is not random enough; \`kit secret generate\` makes one.`);
  }
  return secret;
}

function checkIssuer(issuer: unknown): void {
  let issuerUrl: URL | undefined;
  try {
    issuerUrl = typeof issuer === 'string' ? new URL(issuer) : undefined;
  } catch {
    issuerUrl = undefined;
  }
  if (!issuerUrl || (issuerUrl.protocol !== 'https:' && issuerUrl.protocol !== 'http:')) {
    throw new KitInvalidOptionsError(
      'Set `issuer` to the absolute http(s) URL of your auth server (KIT_ISSUER).',
    );
  }
}

function checkAudience(audience: AuthKitOptions['audience']): ResolvedOptions['audience'] {
  const audiences =
    typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience : undefined;
  if (
    !audiences ||
    audiences.length === 0 ||
    audiences.some((a) => typeof a !== 'string' || a.length === 0)
  ) {
    throw new KitInvalidOptionsError(
      'Set `audience` to the non-empty identifier (or list of them) of your API (KIT_AUDIENCE).',
    );
  }
  return typeof audience === 'string' ? audience : Object.freeze([...audiences]);
}

function checkPreviousSecrets(previous: unknown): Uint8Array[] {
  if (!Array.isArray(previous)) {
    throw new KitInvalidOptionsError('`previousSecrets` must be an array of former KIT_SECRET values.');
  }
  return previous.map((value, i) => checkSecret(value, `\`previousSecrets[${i}]\``));
}

/** Exactly one source of signing keys, and a session store. */
function checkStores(options: AuthKitOptions): void {
  const hasKeys = options.signingKeys !== undefined && options.signingKeys !== null;
  const hasKeyStore = options.keyStore !== undefined && options.keyStore !== null;
  if (hasKeys === hasKeyStore) {
    throw new KitInvalidOptionsError(
      'Set exactly one of `signingKeys` (a JWKS with private keys, KIT_SIGNING_KEYS; `kit keys generate` makes one) and `keyStore` (createMikroOrmKeyStore({ orm }) from @kit/core/mikro-orm).',
    );
  }
  if (
    hasKeyStore &&
    (typeof options.keyStore?.list !== 'function' || typeof options.keyStore?.exclusive !== 'function')
  ) {
    throw new KitInvalidOptionsError(
      'Set `keyStore` to a SigningKeyStore, for example createMikroOrmKeyStore({ orm }) from @kit/core/mikro-orm.',
    );
  }
  const store = options.store;
  if (!store || typeof store.rotate !== 'function' || typeof store.insert !== 'function') {
    throw new KitInvalidOptionsError(
      'Set `store` to a SessionStore, for example createMikroOrmStore({ orm }) from @kit/core/mikro-orm.',
    );
  }
}

type Lifetimes = Pick<
  ResolvedOptions,
  'accessTokenTtl' | 'sessionIdleTtl' | 'sessionMaxAge' | 'reuseGrace' | 'jwksMaxAge'
>;

function resolveLifetimes(options: AuthKitOptions): Lifetimes {
  const accessTokenTtl = toOptionSeconds(options.accessTokenTtl, 'accessTokenTtl', DEFAULTS.accessTokenTtl);
  const sessionIdleTtl = toOptionSeconds(options.sessionIdleTtl, 'sessionIdleTtl', DEFAULTS.sessionIdleTtl);
  const sessionMaxAge = toOptionSeconds(options.sessionMaxAge, 'sessionMaxAge', DEFAULTS.sessionMaxAge);
  const reuseGrace = toOptionSeconds(options.reuseGrace, 'reuseGrace', DEFAULTS.reuseGrace, {
    allowZero: true,
  });
  const jwksMaxAge = toOptionSeconds(options.jwksMaxAge, 'jwksMaxAge', DEFAULTS.jwksMaxAge, {
    allowZero: true,
  });
  if (jwksMaxAge > 86400) {
    throw new KitInvalidOptionsError('`jwksMaxAge` is over a day; key rotation waits for it (default 5m).');
  }
  if (accessTokenTtl > 86400) {
    throw new KitInvalidOptionsError(
      '`accessTokenTtl` is over a day; access tokens cannot be revoked, keep them short (default 5m).',
    );
  }
  if (reuseGrace > 300) {
    throw new KitInvalidOptionsError(
      '`reuseGrace` is over 5 minutes; it is a window for retries, keep it short (default 10s).',
    );
  }
  return { accessTokenTtl, sessionIdleTtl, sessionMaxAge, reuseGrace, jwksMaxAge };
}

function resolveKeyRotation(
  rotation: AuthKitOptions['keyRotation'] | null,
  { jwksMaxAge, accessTokenTtl }: Lifetimes,
): ResolvedOptions['keyRotation'] {
  if (typeof rotation !== 'object' || rotation === null) {
    throw new KitInvalidOptionsError(
      '`keyRotation` must be an object: { algorithm?, every?, refreshInterval? }.',
    );
  }
  const algorithm = rotation.algorithm ?? 'ES256';
  if (!isSigningAlgorithm(algorithm)) {
    throw new KitInvalidOptionsError(
      `\`keyRotation.algorithm\` must be one of ${SIGNING_ALGORITHMS.join(', ')}.`,
    );
  }
  const every =
    rotation.every === false
      ? false
      : toOptionSeconds(rotation.every, 'keyRotation.every', DEFAULTS.keyRotationEvery);
  const refreshInterval = toOptionSeconds(
    rotation.refreshInterval,
    'keyRotation.refreshInterval',
    DEFAULTS.keyRefreshInterval,
  );
  if (refreshInterval > 3600) {
    throw new KitInvalidOptionsError(
      '`keyRotation.refreshInterval` is over an hour; keep it short (default 30s).',
    );
  }
  // A new key is published one JWKS cache lifetime, plus the time every instance needs to load it,
  // before it signs; rotating faster than that (plus the retired key's overlap) makes no sense.
  const leadTime = jwksMaxAge + refreshInterval;
  if (every !== false && every < leadTime + accessTokenTtl + 60) {
    throw new KitInvalidOptionsError(
      '`keyRotation.every` must exceed jwksMaxAge + refreshInterval + accessTokenTtl + 60 s, the overlap of two keys.',
    );
  }
  return { algorithm, every, refreshInterval, leadTime };
}

function checkHooks(options: AuthKitOptions): void {
  if (options.claims !== undefined && typeof options.claims !== 'function') {
    throw new KitInvalidOptionsError('`claims` must be a function returning extra claims.');
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new KitInvalidOptionsError('`clock` must be a function returning milliseconds since the epoch.');
  }
}

/** Validates and completes options. @internal */
export function resolveOptions(options: AuthKitOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new KitInvalidOptionsError(
      'createAuthKit needs an options object: { issuer, audience, secret, signingKeys, store }.',
    );
  }
  checkIssuer(options.issuer);
  const audience = checkAudience(options.audience);
  const secret = checkSecret(options.secret, '`secret` (KIT_SECRET)');
  const previousSecrets = checkPreviousSecrets(options.previousSecrets ?? []);
  checkStores(options);
  const lifetimes = resolveLifetimes(options);
  const keyRotation = resolveKeyRotation(options.keyRotation ?? {}, lifetimes);
  const clientId = options.clientId ?? DEFAULTS.clientId;
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 255) {
    throw new KitInvalidOptionsError('`clientId` must be a string of 1 to 255 characters.');
  }
  const maxDataBytes = options.maxDataBytes ?? DEFAULTS.maxDataBytes;
  if (!Number.isInteger(maxDataBytes) || maxDataBytes < 2 || maxDataBytes > 1024 * 1024) {
    throw new KitInvalidOptionsError('`maxDataBytes` must be a whole number from 2 to 1048576.');
  }
  checkHooks(options);
  return {
    issuer: options.issuer,
    audience,
    secret,
    previousSecrets,
    keyRotation,
    ...lifetimes,
    clientId,
    maxDataBytes,
    clock: options.clock ?? Date.now,
  };
}
