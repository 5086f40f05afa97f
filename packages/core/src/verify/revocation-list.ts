import { KitJwksFetchFailedError, KitJwksInvalidError, KitJwtRevokedError } from '../errors.ts';
import { readBounded } from './remote-key-set.ts';
import { decodeSessionIds } from './revocation-format.ts';
import { SingleFlight } from './single-flight.ts';
import { type FetchResult, failedFetch } from './verifier-report.ts';

/**
 * Settled options of a {@link RevocationList}.
 *
 * @internal
 */
export interface RevocationListOptions {
  url: string;
  fetch: typeof fetch;
  clock: () => number;
  /** A list is used for at most this long (ms) from its `iat` or its fetch, whichever is earlier. */
  intervalMs: number;
  /** `open`: keep the last list (or none) when a fetch fails; `closed`: reject once it is too old. */
  failure: 'open' | 'closed';
  timeoutMs: number;
  /** Told the outcome of every fetch (the verifier's `kit.revocations.fetches` and its log line). */
  onFetch?: (result: FetchResult) => void;
}

/** Largest revocation list accepted (8 MiB: about 390,000 session ids). */
const MAX_LIST_BYTES = 8 * 1024 * 1024;
/** Wait after a failed fetch before the next try, so a down server is not hammered. */
const RETRY_MS = 1000;

/**
 * The revocation list an edge verifier polls. `check(sid)` is synchronous while the held list is
 * within its interval; past it, the verification waits for a refetch (one fetch shared by all
 * callers). There is deliberately no fire-and-forget background refresh: in Workers, I/O started
 * by a request is cancelled when that request ends, and a promise left pending that way would
 * stall every later caller. For the same reason a shared fetch older than the fetch timeout is
 * abandoned rather than awaited.
 *
 * @internal
 */
export class RevocationList {
  readonly #options: RevocationListOptions;
  #revoked: ReadonlySet<string> | undefined;
  /** Until when (ms, verifier clock) the held list may be used. */
  #validUntil = Number.NEGATIVE_INFINITY;
  #etag: string | undefined;
  #flight: SingleFlight;
  #retryAt = Number.NEGATIVE_INFINITY;

  constructor(options: RevocationListOptions) {
    this.#options = options;
    this.#flight = new SingleFlight(options.clock, options.timeoutMs + 1000);
  }

  /** Rejects a token of a revoked session with `ERR_JWT_REVOKED`. */
  check(sid: string, now: number): void | Promise<void> {
    if (now < this.#validUntil) {
      if (this.#revoked?.has(sid)) throw new KitJwtRevokedError();
      return;
    }
    return this.#checkAfterRefresh(sid, now);
  }

  async #checkAfterRefresh(sid: string, now: number): Promise<void> {
    if (this.#flight.busy || now >= this.#retryAt) {
      try {
        await this.#refresh();
      } catch {
        // Reported below according to the failure mode.
      }
    }
    if (this.#options.clock() >= this.#validUntil && this.#options.failure === 'closed') {
      throw new KitJwksFetchFailedError('The revocation list could not be refreshed (fail-closed).');
    }
    // Fail open: the last list held (if any) still applies; revocations it lists stay rejected.
    if (this.#revoked?.has(sid)) throw new KitJwtRevokedError();
  }

  #refresh(): Promise<void> {
    return this.#flight.run(() => this.#load());
  }

  async #load(): Promise<void> {
    const { clock } = this.#options;
    const started = clock();
    const answer: { status?: number } = {};
    try {
      const outcome = await this.#fetchList(started, answer);
      this.#options.onFetch?.({ outcome });
    } catch (error) {
      this.#retryAt = clock() + RETRY_MS;
      this.#options.onFetch?.(failedFetch(error, answer.status === 200 ? undefined : answer.status));
      throw error;
    }
  }

  /**
   * Fetches the list and takes it (or the server's word that it is unchanged); `answer.status` is
   * the HTTP status, once the server answered. Its errors never reach a caller of `check`, which
   * applies the failure mode instead; their codes tell the fetch counter a refused document
   * (`ERR_JWKS_INVALID`) from no answer (`ERR_JWKS_FETCH_FAILED`).
   */
  async #fetchList(started: number, answer: { status?: number }): Promise<'ok' | 'not_modified'> {
    const { url, fetch, intervalMs, timeoutMs } = this.#options;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#etag !== undefined && this.#revoked !== undefined) headers['if-none-match'] = this.#etag;
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw new KitJwksFetchFailedError('The revocation list could not be fetched.', { cause });
    }
    answer.status = response.status;
    if (response.status === 304 && this.#revoked !== undefined) {
      // The server confirmed the list unchanged as of its cached copy (at most 1 s old).
      this.#validUntil = started - 1000 + intervalMs;
      return 'not_modified';
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new KitJwksFetchFailedError(`The revocation list could not be fetched: HTTP ${response.status}.`);
    }
    const bytes = await readBounded(response, MAX_LIST_BYTES).catch((cause: unknown) => {
      if (cause instanceof KitJwksInvalidError)
        throw new KitJwksInvalidError('The revocation list is too large.');
      throw new KitJwksFetchFailedError('The revocation list could not be read.', { cause });
    });
    let document: { v?: unknown; iat?: unknown; sids?: unknown };
    try {
      document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new KitJwksInvalidError('The revocation list is not JSON.');
    }
    const revoked = document?.v === 1 ? decodeSessionIds(document.sids) : undefined;
    const iat = document?.iat;
    if (revoked === undefined || typeof iat !== 'number' || !Number.isFinite(iat)) {
      throw new KitJwksInvalidError('The revocation list is not a valid document.');
    }
    this.#revoked = revoked;
    this.#etag = response.headers.get('etag') ?? undefined;
    this.#validUntil = Math.min(iat, started) + intervalMs;
    return 'ok';
  }
}
