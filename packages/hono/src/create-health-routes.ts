import {
  type AuthKit,
  type Duration,
  KitInvalidOptionsError,
  type ReadinessReport,
  toOptionSeconds,
} from '@kit/core';
import { Hono } from 'hono';
import { RETRY_AFTER_SECONDS } from './oauth-error-response.ts';

/**
 * Options of {@link createHealthRoutes}.
 */
export interface HealthRoutesOptions {
  /** The kit whose readiness `/readyz` reports (`kit.checkReady()`). */
  kit: Pick<AuthKit, 'checkReady'>;
  /**
   * Most time a `/readyz` answer waits for the checks; a probe still running then answers 503 (a
   * hanging database makes the answer slow by this much, never hangs it).
   * @default 2 (seconds)
   */
  timeout?: Duration;
  /**
   * How long one probe's result is reused by every `/readyz` request, so a crowd of probes (many
   * load balancers, many replicas of a probe) costs the database one statement per this interval.
   * `0` keeps only the sharing of a probe in flight.
   * @default 1 (second)
   */
  cacheFor?: Duration;
  /** `Retry-After` seconds of a 503. @default 5 ({@link RETRY_AFTER_SECONDS}) */
  retryAfter?: number;
  /**
   * Aborted when the server begins to shut down: from then on `/readyz` answers 503 at once
   * (without touching the database), so load balancers stop sending new requests while the ones in
   * flight finish. `/healthz` keeps answering 200: the process is alive and draining.
   */
  signal?: AbortSignal;
}

/** What one probe found, or that it did not finish in time. */
type ProbeResult = { kind: 'report'; report: ReadinessReport } | { kind: 'timeout' };

interface Probe {
  seq: number;
  startedAt: number;
  settled: Promise<ProbeResult>;
}

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/**
 * Liveness and readiness routes for load balancers and orchestrators:
 *
 * - `GET /healthz` → 200 `{"status":"ok"}` while the process serves requests. It touches nothing
 *   else: a database outage must not get a healthy process restarted.
 * - `GET /readyz` → 200 `{"status":"ok","checks":{"database":"ok","signingKeys":"ok"}}` when
 *   `kit.checkReady()` finds the database answering and the signing keys current; otherwise 503
 *   with `Retry-After` and `{"status":"unavailable","checks":{...}}` (each check `"ok"` or
 *   `"unavailable"`), `{"status":"unavailable","reason":"timeout"}` when the checks did not finish
 *   within `timeout`, or `{"status":"unavailable","reason":"shutting_down"}` once `signal` is
 *   aborted. Bodies name no host and carry no error text.
 *
 * One probe runs at a time, shared by concurrent requests, and its result is reused for `cacheFor`.
 * A probe that outlives `timeout` is answered as a timeout and no longer waited for; the next
 * request after the cached timeout starts a new one, so a hanging database gets at most one probe
 * per `timeout + cacheFor`. Every answer carries `Cache-Control: no-store`.
 *
 * @example
 * ```ts
 * import { createHealthRoutes } from '@kit/hono';
 *
 * const shutdown = new AbortController();
 * app.route('/', createHealthRoutes({ kit, signal: shutdown.signal }));
 * process.once('SIGTERM', () => shutdown.abort()); // /readyz answers 503 from now on
 * ```
 */
export function createHealthRoutes(options: HealthRoutesOptions): Hono {
  const kit = options?.kit;
  if (typeof kit?.checkReady !== 'function') {
    throw new KitInvalidOptionsError('createHealthRoutes needs { kit }: the AuthKit made by createAuthKit.');
  }
  const timeoutMs = toOptionSeconds(options.timeout, 'timeout', 2) * 1000;
  const cacheMs = toOptionSeconds(options.cacheFor, 'cacheFor', 1, { allowZero: true }) * 1000;
  const retryAfter = options.retryAfter ?? RETRY_AFTER_SECONDS;
  if (!Number.isSafeInteger(retryAfter) || retryAfter < 0) {
    throw new KitInvalidOptionsError('Set `retryAfter` to a whole number of seconds.');
  }
  const signal = options.signal;

  let seq = 0;
  let probe: Probe | undefined;
  let cached: { seq: number; until: number; result: ProbeResult } | undefined;

  function remember(entry: Probe, result: ProbeResult) {
    // A late answer of an older probe must not replace what a newer one found.
    if (cached && cached.seq > entry.seq) return;
    cached = { seq: entry.seq, until: Date.now() + cacheMs, result };
  }

  function startProbe(now: number): Probe {
    const entry: Probe = {
      seq: ++seq,
      startedAt: now,
      settled: Promise.resolve()
        .then(() => kit.checkReady())
        .then(
          (report): ProbeResult => ({ kind: 'report', report }),
          // checkReady never rejects; a stand-in that does is simply not ready.
          (): ProbeResult => ({
            kind: 'report',
            report: { ready: false, checks: { database: 'unavailable', signingKeys: 'unavailable' } },
          }),
        ),
    };
    void entry.settled.then((result) => {
      if (probe === entry) probe = undefined;
      remember(entry, result);
    });
    return entry;
  }

  async function readiness(): Promise<ProbeResult> {
    const now = Date.now();
    if (cached && now < cached.until) return cached.result;
    // A probe past its time is abandoned (it settles by itself later); anything younger is shared.
    if (!probe || now - probe.startedAt >= timeoutMs) probe = startProbe(now);
    const entry = probe;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<ProbeResult>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), entry.startedAt + timeoutMs - now);
    });
    try {
      const result = await Promise.race([entry.settled, timedOut]);
      if (result.kind === 'timeout') remember(entry, result);
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  const unavailable = (body: object) =>
    new Response(JSON.stringify({ status: 'unavailable', ...body }), {
      status: 503,
      headers: { ...HEADERS, 'retry-after': String(retryAfter) },
    });

  const app = new Hono();
  app.get('/healthz', () => new Response('{"status":"ok"}', { status: 200, headers: HEADERS }));
  app.get('/readyz', async () => {
    if (signal?.aborted) return unavailable({ reason: 'shutting_down' });
    const result = await readiness();
    // Shutdown may have begun while the probe ran.
    if (signal?.aborted) return unavailable({ reason: 'shutting_down' });
    if (result.kind === 'timeout') return unavailable({ reason: 'timeout' });
    const { ready, checks } = result.report;
    // Only the enumerated values: a stand-in kit's extra fields never reach the client.
    const body = { checks: { database: checks.database, signingKeys: checks.signingKeys } };
    if (!ready) return unavailable(body);
    return new Response(JSON.stringify({ status: 'ok', ...body }), { status: 200, headers: HEADERS });
  });
  return app;
}
