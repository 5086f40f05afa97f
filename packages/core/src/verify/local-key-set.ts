import { KitJwksInvalidError, KitJwksNoMatchingKeyError } from '../errors.ts';
import type { AlgorithmProfile, VerifierAlgorithm } from './algorithms.ts';
import {
  importKeySet,
  type KeyIndex,
  type KeySource,
  type PrepareKey,
  type VerificationKey,
} from './import-key-set.ts';

/**
 * A {@link KeySource} over a JWKS given in configuration. The keys are imported once, starting
 * as soon as the set is created, so the first verification rarely waits.
 *
 * @internal
 */
export class LocalKeySet implements KeySource {
  #index: KeyIndex | undefined;
  readonly #loading: Promise<KeyIndex>;

  constructor(
    keys: readonly unknown[],
    allowed: ReadonlyMap<string, AlgorithmProfile>,
    prepare?: PrepareKey,
  ) {
    this.#loading = importKeySet(keys, allowed, prepare).then((index) => {
      if (index.size === 0) {
        throw new KitJwksInvalidError(
          'The `jwks` option holds no usable public signing key (each key needs a `kid` and a type that fits one of the allowed algorithms).',
        );
      }
      this.#index = index;
      return index;
    });
    // Started eagerly; a failure is reported by `resolve`, never as an unhandled rejection.
    this.#loading.catch(() => {});
  }

  peek(kid: string, alg: VerifierAlgorithm): VerificationKey | undefined {
    return this.#index?.get(kid)?.get(alg);
  }

  async resolve(kid: string, alg: VerifierAlgorithm): Promise<VerificationKey> {
    const index = this.#index ?? (await this.#loading);
    const key = index.get(kid)?.get(alg);
    if (key === undefined) throw new KitJwksNoMatchingKeyError();
    return key;
  }
}
