import type { DpopReplayCache } from '../dpop/replay-cache.ts';
import type { DpopProofVerifier } from '../dpop/types.ts';
import { KitInvalidInputError } from '../errors.ts';
import { Emitter } from '../events.ts';
import { createKeyRing, type KeyProvider, staticKeyProvider } from '../keys/key-ring.ts';
import { importSigningKeys, type SigningKeySet } from '../keys/signing-keys.ts';
import { type AuthKitOptions, type ResolvedOptions, resolveOptions } from '../options.ts';
import type { SessionStore } from '../store/session-store.ts';
import { loadTelemetry } from '../telemetry/load-telemetry.ts';
import { errorFields, type KitLogger, resolveLogger } from '../telemetry/logger.ts';
import type { Telemetry, TelemetrySpan } from '../telemetry/telemetry.ts';
import { RefreshTokenCodec } from '../tokens/refresh-token.ts';
import { createKitDpopVerifier } from './kit-dpop.ts';
import { createKitInstruments, type KitInstruments } from './kit-instruments.ts';
import { measureStore } from './measured-store.ts';

/**
 * What every part of the kit shares: the options, resolved and checked once, and the objects made
 * from them. Built by {@link createKitContext}; the parts take it as their first argument.
 *
 * @internal
 */
export interface KitContext {
  readonly config: ResolvedOptions;
  /**
   * The host's store; with telemetry on, wrapped so each call is a span and a
   * `kit.store.duration` record (see {@link storeUnder}).
   */
  readonly store: SessionStore;
  readonly codec: RefreshTokenCodec;
  readonly keys: KeyProvider;
  readonly emitter: Emitter;
  readonly claimsHook: AuthKitOptions['claims'];
  /** The host's logger, or one that writes nothing. */
  readonly logger: KitLogger;
  /** OpenTelemetry instruments and spans, or the no-op. */
  readonly telemetry: Telemetry;
  /** The kit's instruments, made once here. */
  readonly instruments: KitInstruments;
  /**
   * The store whose call spans nest under `parent` (explicitly, so without a context manager
   * too). Only called with telemetry on; a view of one object over methods made once per kit.
   */
  storeUnder(parent: TelemetrySpan): SessionStore;
  /** The configured clock, refused when it returns something that is not a time. */
  now(): number;
  /** The DPoP proof verifier of the `dpop` option, on the kit's clock; `undefined` without it. */
  readonly dpop: DpopProofVerifier | undefined;
  /** The replay cache `dpop` checks proofs against (`kit.config.dpop.replayCache`). */
  readonly dpopReplayCache: DpopReplayCache | undefined;
}

/**
 * Resolves the options (throwing `KitInvalidOptionsError` naming what to set), derives the
 * refresh-token keys from the secret and imports or loads the signing keys.
 *
 * @internal
 */
export async function createKitContext(options: AuthKitOptions): Promise<KitContext> {
  const config = resolveOptions(options);
  const dpop = createKitDpopVerifier(options.dpop, config.clock);
  // Read with the verifier, before anything awaits: the cache it was given.
  const dpopReplayCache = dpop === undefined ? undefined : options.dpop?.replayCache;
  const logger = resolveLogger(options.logger);
  const telemetry = await loadTelemetry(options.telemetry, '@kit/core');
  const instruments = createKitInstruments(telemetry);
  const rawStore = options.store;
  const codec = await RefreshTokenCodec.create(config.secret, config.previousSecrets);
  const now = () => {
    const ms = config.clock();
    if (!Number.isFinite(ms))
      throw new KitInvalidInputError('The `clock` option returned a value that is not a time.');
    return ms;
  };
  const emitter = new Emitter(
    options.onListenerError ??
      ((error, event) => {
        // The error's code or name only: a listener's message could carry anything.
        logger.error({ ...errorFields(error), event }, 'kit: an event listener failed');
      }),
  );
  // Telemetry off: the host's store itself, so a call costs no clock read and no wrapper.
  const measured = telemetry.enabled
    ? measureStore(rawStore, telemetry, instruments.storeDuration)
    : undefined;
  return {
    config,
    store: measured ? measured() : rawStore,
    storeUnder: measured ?? (() => rawStore),
    codec,
    keys: await createKeys(options, config, logger),
    emitter,
    claimsHook: options.claims,
    logger,
    telemetry,
    instruments,
    now,
    dpop,
    dpopReplayCache,
  };
}

async function createKeys(
  options: AuthKitOptions,
  config: ResolvedOptions,
  logger: KitLogger,
): Promise<KeyProvider> {
  if (options.keyStore) {
    return createKeyRing({
      store: options.keyStore,
      secrets: [config.secret, ...config.previousSecrets],
      algorithm: config.keyRotation.algorithm,
      rotateEvery: config.keyRotation.every,
      leadTime: config.keyRotation.leadTime,
      refreshInterval: config.keyRotation.refreshInterval,
      accessTokenTtl: config.accessTokenTtl,
      clock: config.clock,
      // The error's code or name only: never key material.
      onError: (error) => logger.error(errorFields(error), 'kit: reloading signing keys failed'),
    });
  }
  // resolveOptions has checked that exactly one of `keyStore` and `signingKeys` is set.
  const signingKeys = options.signingKeys!;
  const keySet: SigningKeySet =
    typeof signingKeys === 'object' && 'current' in signingKeys
      ? signingKeys
      : await importSigningKeys(signingKeys);
  return staticKeyProvider(keySet);
}
