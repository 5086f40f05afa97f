import { KitError } from './kit-error.ts';

/**
 * The session store could not be reached (connection refused, timed out, or dropped). Retry later;
 * nothing was changed. HTTP adapters answer 503 `temporarily_unavailable`.
 *
 * @example
 * ```ts
 * try { await kit.refresh(token); } catch (e) {
 *   if (e instanceof KitStoreUnavailableError) res.status(503);
 * }
 * ```
 */
export class KitStoreUnavailableError extends KitError {
  static readonly code = 'ERR_STORE_UNAVAILABLE';

  constructor(options?: { cause?: unknown }) {
    super(KitStoreUnavailableError.code, 'The session store is unavailable.', options);
  }
}

/**
 * The session store failed for a reason other than availability (for example the kit's
 * migrations have not been run). The original driver error is kept as `cause`.
 */
export class KitStoreFailureError extends KitError {
  static readonly code = 'ERR_STORE_FAILURE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(KitStoreFailureError.code, message, options);
  }
}

/**
 * Another instance holds the purge lock: this purge was skipped and deleted nothing. The pruner
 * reports such a run through `onRun(0, { skipped: true })` instead of throwing.
 *
 * @example
 * ```ts
 * await kit.sessions.purgeExpired().catch((e) => e.code === 'ERR_PURGE_IN_PROGRESS' ? 0 : Promise.reject(e));
 * ```
 */
export class KitPurgeInProgressError extends KitError {
  static readonly code = 'ERR_PURGE_IN_PROGRESS';

  constructor(
    message = 'Another instance is purging sessions now; this purge was skipped.',
    options?: { cause?: unknown },
  ) {
    super(KitPurgeInProgressError.code, message, options);
  }
}
