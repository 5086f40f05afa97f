import { KitError } from '../errors.ts';
import { errorFields, type KitLogger } from '../telemetry/logger.ts';
import type { TelemetryAttributes } from '../telemetry/open-telemetry-api.ts';
import type { Telemetry, TelemetryCounter } from '../telemetry/telemetry.ts';

/**
 * The `outcome` of `kit.jwks.fetches` and `kit.revocations.fetches`: `ok`; `not_modified` (a 304
 * to the revocation list's `If-None-Match`); `http_2xx` to `http_5xx` for any other status, bucketed
 * by class (`http_other` outside 200-599); `ERR_JWKS_FETCH_FAILED` when no answer came (network
 * error, timeout, a body cut off); `ERR_JWKS_INVALID` for a document that was refused (not JSON, the
 * wrong shape, too large, no usable key); `other` for anything else.
 *
 * @internal
 */
export type FetchOutcome =
  | 'ok'
  | 'not_modified'
  | 'http_2xx'
  | 'http_3xx'
  | 'http_4xx'
  | 'http_5xx'
  | 'http_other'
  | 'ERR_JWKS_FETCH_FAILED'
  | 'ERR_JWKS_INVALID'
  | 'other';

/** What one fetch came to, as the key set or the revocation list reports it. @internal */
export interface FetchResult {
  outcome: FetchOutcome;
  /** The failure, for its code in the log line (never its message). */
  error?: unknown;
  /** The HTTP status of an answer that was not a success. */
  status?: number;
}

/**
 * The result of a failed fetch: the status's class when the server answered with one that is not a
 * success, else the error's code.
 *
 * @internal
 */
export function failedFetch(error: unknown, status: number | undefined): FetchResult {
  if (status !== undefined) {
    const outcome =
      Number.isInteger(status) && status >= 200 && status <= 599
        ? (`http_${Math.floor(status / 100)}xx` as FetchOutcome)
        : 'http_other';
    return { outcome, error, status };
  }
  const { code } = errorFields(error);
  return { outcome: code === 'ERR_JWKS_FETCH_FAILED' || code === 'ERR_JWKS_INVALID' ? code : 'other', error };
}

/** The fetches a verifier makes, by the name of their counter and the message of their log line. */
const SOURCES = {
  jwks: ['kit.jwks.fetches', "Fetches of the issuer's JWKS, by outcome.", 'kit: fetching the JWKS failed'],
  revocations: [
    'kit.revocations.fetches',
    "Fetches of the issuer's revocation list, by outcome.",
    'kit: fetching the revocation list failed',
  ],
} as const;

/** A failure of one source is logged at most once per this many ms; the others are counted. */
const LOG_INTERVAL_MS = 10_000;

/**
 * How a verifier reports: `kit.verifications`, `kit.jwks.fetches`, `kit.revocations.fetches`, and
 * a warn line for a failed fetch. Reporting never fails a verification or a fetch: a throwing
 * logger or SDK is ignored.
 *
 * @internal
 */
export interface VerifierReport {
  /**
   * Counts a verification: `valid` without an error, the code of a `KitError` (a bounded set: the
   * verifier throws nothing else), or `other`.
   */
  verification(error?: unknown): void;
  /**
   * The callback a key set or revocation list tells each fetch: counted, and a failure logged at
   * warn with its code, outcome and HTTP status, and the URL without its query, fragment or
   * credentials. A source whose fetches keep failing logs one line per 10 s, with the number of
   * failures left out since the last one (`suppressed`).
   */
  fetches(source: keyof typeof SOURCES, url: string): (result: FetchResult) => void;
}

/**
 * A {@link VerifierReport} over a resolved {@link Telemetry}, or over the promise of one (the
 * optional peer being imported): until it settles, counts are queued on it, so that no
 * verification waits and none goes uncounted.
 *
 * @internal
 */
export function createVerifierReport(
  telemetry: Telemetry | Promise<Telemetry>,
  logger: KitLogger,
  clock: () => number,
): VerifierReport {
  let ready: Telemetry | undefined;
  let pending: Promise<Telemetry | undefined> | undefined;
  if (telemetry instanceof Promise) {
    pending = telemetry.then(
      (resolved) => {
        ready = resolved;
        return resolved;
      },
      (error: unknown) => {
        safely(() => logger.warn(errorFields(error), 'kit: telemetry could not be set up'));
        return undefined;
      },
    );
  } else {
    ready = telemetry;
  }
  // Instruments are made once each, when first needed: an exporter lists none that cannot count.
  const counters = new Map<string, TelemetryCounter>();
  const add = (resolved: Telemetry | undefined, name: string, description: string, outcome: string) => {
    if (!resolved?.enabled) return;
    try {
      let counter = counters.get(name);
      if (counter === undefined) {
        counter = resolved.counter(name, description);
        counters.set(name, counter);
      }
      counter.add(1, outcomeAttributes(outcome));
    } catch {
      // A throwing SDK does not fail the verification.
    }
  };
  const count = (name: string, description: string, outcome: string) => {
    if (ready !== undefined || pending === undefined) add(ready, name, description, outcome);
    else void pending.then((resolved) => add(resolved, name, description, outcome));
  };

  return {
    verification(error) {
      if (ready?.enabled === false) return;
      const outcome = error === undefined ? 'valid' : error instanceof KitError ? error.code : 'other';
      count(
        'kit.verifications',
        'Access-token verifications, by outcome: valid, or the error code.',
        outcome,
      );
    },
    fetches(source, url) {
      const [name, description, message] = SOURCES[source];
      const where = new URL(url);
      // Origin and path only: a query or userinfo can carry a credential.
      const shownUrl = `${where.origin}${where.pathname}`;
      let loggedAt = Number.NEGATIVE_INFINITY;
      let suppressed = 0;
      return ({ outcome, error, status }) => {
        count(name, description, outcome);
        if (outcome === 'ok' || outcome === 'not_modified') return;
        const now = clock();
        if (now - loggedAt < LOG_INTERVAL_MS) {
          suppressed++;
          return;
        }
        loggedAt = now;
        const fields: Record<string, unknown> = { ...errorFields(error), outcome, url: shownUrl };
        if (status !== undefined) fields.status = status;
        if (suppressed > 0) fields.suppressed = suppressed;
        suppressed = 0;
        safely(() => logger.warn(fields, message));
      };
    },
  };
}

// One frozen `{ outcome }` per outcome, so that counting allocates nothing. Outcomes are a
// bounded set (`valid`, the verifier's error codes, the fetch outcomes).
const OUTCOME_ATTRIBUTES = new Map<string, TelemetryAttributes>();
function outcomeAttributes(outcome: string): TelemetryAttributes {
  let attributes = OUTCOME_ATTRIBUTES.get(outcome);
  if (attributes === undefined) {
    attributes = Object.freeze({ outcome });
    OUTCOME_ATTRIBUTES.set(outcome, attributes);
  }
  return attributes;
}

function safely(report: () => void): void {
  try {
    report();
  } catch {
    // Nowhere left to report to: the verification or fetch goes on as if nothing was reported.
  }
}
