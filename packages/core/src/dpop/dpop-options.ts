import { KitInvalidOptionsError } from '../errors.ts';
import { toOptionSeconds } from '../util/duration.ts';
import { ALGORITHMS, type AlgorithmProfile, SUPPORTED_ALGORITHMS } from '../verify/algorithms.ts';
import type { DpopReplayCache } from './replay-cache.ts';
import type { DpopAlgorithm, DpopProofVerifierOptions } from './types.ts';

const DEFAULTS = { maxAge: 60, clockTolerance: 5 } as const;
const MAX_AGE_LIMIT = 3600;
const TOLERANCE_LIMIT = 300;

/**
 * {@link DpopProofVerifierOptions} checked once, with defaults applied and durations in
 * milliseconds.
 *
 * @internal
 */
export interface ResolvedDpopOptions {
  readonly replayCache: DpopReplayCache;
  /** The allow-list: a `Map`, so that `alg: "__proto__"` finds nothing. */
  readonly allowed: ReadonlyMap<string, AlgorithmProfile>;
  readonly algorithms: readonly DpopAlgorithm[];
  readonly maxAgeMs: number;
  readonly toleranceMs: number;
  readonly clock: () => number;
}

/**
 * Checks every option when the factory runs; a bad one throws {@link KitInvalidOptionsError}
 * saying what to set.
 *
 * @internal
 */
export function resolveDpopOptions(options: DpopProofVerifierOptions): ResolvedDpopOptions {
  if (typeof options !== 'object' || options === null) {
    throw new KitInvalidOptionsError('createDpopProofVerifier needs an options object with `replayCache`.');
  }
  const replayCache = options.replayCache;
  if (typeof replayCache?.remember !== 'function') {
    throw new KitInvalidOptionsError(
      'Set `replayCache` to a DPoP replay cache: createMemoryDpopReplayCache() for one instance, createMikroOrmDpopReplayCache({ orm }) or createRedisDpopReplayCache({ client }) for several.',
    );
  }
  const { allowed, algorithms } = checkAlgorithms(options.algorithms);
  const maxAge = toOptionSeconds(options.maxAge, 'maxAge', DEFAULTS.maxAge);
  const tolerance = toOptionSeconds(options.clockTolerance, 'clockTolerance', DEFAULTS.clockTolerance, {
    allowZero: true,
  });
  if (maxAge > MAX_AGE_LIMIT) throw new KitInvalidOptionsError('Set `maxAge` to at most one hour (3600).');
  if (tolerance > TOLERANCE_LIMIT) {
    throw new KitInvalidOptionsError('Set `clockTolerance` to at most five minutes (300).');
  }
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') {
    throw new KitInvalidOptionsError('`clock` must be a function (or left out for the default).');
  }
  return { replayCache, allowed, algorithms, maxAgeMs: maxAge * 1000, toleranceMs: tolerance * 1000, clock };
}

function checkAlgorithms(list: unknown): {
  allowed: ReadonlyMap<string, AlgorithmProfile>;
  algorithms: readonly DpopAlgorithm[];
} {
  const given = list ?? SUPPORTED_ALGORITHMS;
  if (!Array.isArray(given) || given.length === 0) {
    throw new KitInvalidOptionsError(
      `Set \`algorithms\` to a non-empty array of ${SUPPORTED_ALGORITHMS.join(', ')}, or leave it out to allow all of them.`,
    );
  }
  const allowed = new Map<string, AlgorithmProfile>();
  for (const alg of given as unknown[]) {
    // `none` and symmetric algorithms have no profile, so they land here too: a proof is always
    // checked with the public key it carries.
    if (typeof alg !== 'string' || !Object.hasOwn(ALGORITHMS, alg)) {
      throw new KitInvalidOptionsError(
        `\`algorithms\` may only contain ${SUPPORTED_ALGORITHMS.join(', ')} (got ${JSON.stringify(String(alg))}): DPoP proofs are signed with asymmetric keys only.`,
      );
    }
    allowed.set(alg, ALGORITHMS[alg as DpopAlgorithm]);
  }
  return { allowed, algorithms: Object.freeze([...allowed.keys()] as DpopAlgorithm[]) };
}
