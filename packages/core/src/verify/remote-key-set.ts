import { KitJwksFetchFailedError, KitJwksInvalidError, KitJwksNoMatchingKeyError } from '../errors.ts';
import type { AlgorithmProfile, VerifierAlgorithm } from './algorithms.ts';
import {
  importKeySet,
  type KeyIndex,
  type KeySource,
  type PrepareKey,
  type VerificationKey,
} from './import-key-set.ts';
import { SingleFlight } from './single-flight.ts';
import { type FetchResult, failedFetch } from './verifier-report.ts';

/**
 * Settled options of a {@link RemoteKeySet}; `createVerifier` validates and converts them.
 *
 * @internal
 */
export interface RemoteKeySetOptions {
  url: string;
  allowed: ReadonlyMap<string, AlgorithmProfile>;
  fetch: typeof fetch;
  /** Milliseconds since the epoch; also drives freshness and cooldown, so tests can fake it. */
  clock: () => number;
  timeoutMs: number;
  cooldownMs: number;
  /** Freshness when the response carries no usable `Cache-Control` max-age. */
  cacheMaxAgeMs: number;
  /** The verification backend's key preparation. */
  prepare?: PrepareKey;
  /** Told the outcome of every fetch (the verifier's `kit.jwks.fetches` and its log line). */
  onFetch?: (result: FetchResult) => void;
}

/**
 * Largest JWKS document accepted (1 MiB). A real one is a few KiB; this bounds memory per fetch.
 *
 * @internal
 */
export const MAX_JWKS_BYTES = 1024 * 1024;

/**
 * Largest freshness taken from a `Cache-Control` header (24 hours), so that a key removed from the
 * JWKS (for example after a compromise) stops being trusted within a day whatever the header says.
 *
 * @example
 * ```ts
 * cacheMaxAgeSeconds(new Headers({ 'cache-control': 'max-age=31536000' })) === MAX_CACHE_SECONDS; // true
 * ```
 *
 * @internal
 */
export const MAX_CACHE_SECONDS = 86_400;

/**
 * A {@link KeySource} over a JWKS URL, with a cache that follows these rules:
 *
 * - Fetched lazily, on the first verification.
 * - Fresh for the response's `Cache-Control: max-age` (minus `Age`, at most
 *   {@link MAX_CACHE_SECONDS}), or `cacheMaxAge` when the header has none. `no-store` and
 *   `no-cache` mean max-age 0: the keys serve the verifications that waited for them, and the
 *   next verification refetches.
 * - Never more than one fetch per `cooldown`, whatever asks for it: a stale set, or a token whose
 *   `kid` is unknown (key rotation). So a max-age shorter than the cooldown is served until the
 *   cooldown ends, and a flood of tokens with made-up `kid`s costs the JWKS server one request per
 *   cooldown. The one exception: while no key is held at all, every verification may try again
 *   (it would fail anyway), still one fetch at a time.
 * - Single flight: concurrent verifications that need a fetch share one request, unless it has
 *   been running longer than the timeout (then it is abandoned: see `#refresh`).
 * - A stale set is refetched before it is used again (the verification waits), so a key removed
 *   from the JWKS stops verifying once the cache lifetime has passed.
 * - A failed fetch (network error, timeout, non-200, not JSON, over {@link MAX_JWKS_BYTES}, no
 *   usable key) never replaces the held set: the keys already held keep working, and the next try
 *   waits for the cooldown.
 * - Each key is imported once, when its set arrives.
 *
 * @internal
 */
export class RemoteKeySet implements KeySource {
  readonly #options: RemoteKeySetOptions;
  #index: KeyIndex | undefined;
  /** Until when (ms) the held set is fresh per its `Cache-Control`. */
  #freshUntil = 0;
  /** Until when (ms) `peek` may serve held keys without a fetch: max(freshness, cooldown end). */
  #servableUntil = 0;
  /** Start (ms) of the latest fetch, successful or not: the cooldown counts from it. */
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #flight: SingleFlight;

  constructor(options: RemoteKeySetOptions) {
    this.#options = options;
    this.#flight = new SingleFlight(options.clock, options.timeoutMs + 1000);
  }

  peek(kid: string, alg: VerifierAlgorithm, now: number): VerificationKey | undefined {
    return now < this.#servableUntil ? this.#index?.get(kid)?.get(alg) : undefined;
  }

  async resolve(kid: string, alg: VerifierAlgorithm): Promise<VerificationKey> {
    if (this.#flight.busy || this.#shouldFetch(kid, this.#options.clock())) {
      try {
        await this.#refresh();
      } catch (error) {
        // Availability: when a refetch fails, the keys already held keep working. Only with no
        // key at all is the fetch failure the verification's failure.
        if (this.#index === undefined) throw error;
      }
    }
    const key = this.#index?.get(kid)?.get(alg);
    if (key === undefined) throw new KitJwksNoMatchingKeyError();
    return key;
  }

  #shouldFetch(kid: string, now: number): boolean {
    const index = this.#index;
    if (index === undefined) return true;
    // The cooldown bounds every fetch, so a token with a made-up `kid` cannot turn the verifier
    // into a request amplifier against the JWKS server.
    if (now - this.#lastAttempt < this.#options.cooldownMs) return false;
    return now >= this.#freshUntil || !index.has(kid);
  }

  /** Single flight: every caller that needs a fetch while one is running shares it. */
  #refresh(): Promise<void> {
    return this.#flight.run(() => this.#load());
  }

  async #load(): Promise<void> {
    const { clock, cooldownMs } = this.#options;
    const started = clock();
    this.#lastAttempt = started;
    const answer: { status?: number } = {};
    try {
      const { index, maxAgeMs } = await this.#fetchKeySet(answer);
      // Only a document that passed every check replaces the held set.
      const now = clock();
      this.#index = index;
      this.#freshUntil = now + maxAgeMs;
      this.#servableUntil = Math.max(this.#freshUntil, started + cooldownMs);
    } catch (error) {
      // Keep serving what is held until the cooldown allows another try.
      if (this.#index !== undefined) this.#servableUntil = Math.max(this.#freshUntil, started + cooldownMs);
      this.#options.onFetch?.(failedFetch(error, answer.status === 200 ? undefined : answer.status));
      throw error;
    }
    this.#options.onFetch?.({ outcome: 'ok' });
  }

  /** Fetches and checks the set; `answer.status` is the HTTP status, once the server answered. */
  async #fetchKeySet(answer: { status?: number }): Promise<{ index: KeyIndex; maxAgeMs: number }> {
    const { url, fetch, timeoutMs, allowed, cacheMaxAgeMs, prepare } = this.#options;
    let response: Response;
    try {
      // Called as a plain function (no `this`): a method call on the options object would make the
      // platform `fetch` throw "Illegal invocation" in browsers and workers.
      response = await fetch(url, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        // Bounds the whole exchange, body included: a stalled JWKS server must not stall every
        // verification that waits on this fetch.
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new KitJwksFetchFailedError('The key set could not be fetched (network error or timeout).', {
        cause,
      });
    }
    answer.status = response.status;
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new KitJwksFetchFailedError(`The key set could not be fetched: HTTP ${response.status}.`);
    }
    const bytes = await readBounded(response, MAX_JWKS_BYTES);
    let document: unknown;
    try {
      document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      // The parser's message may quote the body; it is not kept.
      throw new KitJwksInvalidError('The key set response is not JSON.');
    }
    const keys = (document as { keys?: unknown } | null)?.keys;
    if (typeof document !== 'object' || document === null || !Array.isArray(keys)) {
      throw new KitJwksInvalidError('The key set response is not a JWKS object with a `keys` array.');
    }
    const index = await importKeySet(keys, allowed, prepare);
    if (index.size === 0) {
      // An empty or unusable set is treated as a bad document: it must not replace good keys.
      throw new KitJwksInvalidError('The key set response holds no usable public signing key.');
    }
    const maxAge = cacheMaxAgeSeconds(response.headers);
    return { index, maxAgeMs: maxAge === undefined ? cacheMaxAgeMs : maxAge * 1000 };
  }
}

/**
 * Reads a response body, refusing more than `limit` bytes (checked against `Content-Length` first,
 * then while streaming, so an endless body is cut off rather than buffered).
 */
export async function readBounded(response: Response, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new KitJwksInvalidError(`The key set response is larger than ${limit} bytes.`);
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof KitJwksInvalidError) throw cause;
    throw new KitJwksFetchFailedError('The key set response could not be read (network error or timeout).', {
      cause,
    });
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Freshness in seconds from `Cache-Control` (and `Age`), or `undefined` when the header sets none.
 * `no-store` and `no-cache` give 0. Values are capped at {@link MAX_CACHE_SECONDS}.
 *
 * @example
 * ```ts
 * cacheMaxAgeSeconds(new Headers({ 'cache-control': 'public, max-age=300', age: '20' })); // 280
 * cacheMaxAgeSeconds(new Headers({ 'cache-control': 'no-store' })); // 0
 * cacheMaxAgeSeconds(new Headers()); // undefined
 * ```
 *
 * @internal
 */
export function cacheMaxAgeSeconds(headers: Headers): number | undefined {
  const value = headers.get('cache-control');
  if (value === null) return undefined;
  let maxAge: number | undefined;
  for (const part of value.split(',')) {
    const directive = part.trim().toLowerCase();
    if (directive === 'no-store' || directive === 'no-cache' || directive.startsWith('no-cache=')) return 0;
    const match = /^max-age\s*=\s*"?(\d{1,10})"?$/.exec(directive);
    // RFC 9111 §4.2.1: with a duplicated directive, the most restrictive value is used.
    if (match) maxAge = Math.min(maxAge ?? Number.POSITIVE_INFINITY, Number(match[1]));
  }
  if (maxAge === undefined) return undefined;
  // RFC 9111 §4.2.3: a response that sat in a shared cache has already used part of its life.
  const age = /^\d{1,10}$/.test(headers.get('age') ?? '') ? Number(headers.get('age')) : 0;
  return Math.min(Math.max(maxAge - age, 0), MAX_CACHE_SECONDS);
}
