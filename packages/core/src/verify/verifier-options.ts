import { KitInvalidOptionsError, KitJwksInvalidError } from '../errors.ts';
import { resolveLogger } from '../telemetry/logger.ts';
import type { OpenTelemetryApi } from '../telemetry/open-telemetry-api.ts';
import { resolveTelemetry } from '../telemetry/resolve-telemetry.ts';
import { toOptionSeconds } from '../util/duration.ts';
import {
  ALGORITHMS,
  type AlgorithmProfile,
  SUPPORTED_ALGORITHMS,
  type VerifierAlgorithm,
} from './algorithms.ts';
import type { VerifyBackend } from './backend.ts';
import type { KeySource } from './import-key-set.ts';
import { LocalKeySet } from './local-key-set.ts';
import { RemoteKeySet } from './remote-key-set.ts';
import { RevocationList } from './revocation-list.ts';
import type { VerifierOptions } from './types.ts';
import { createVerifierReport, type VerifierReport } from './verifier-report.ts';

const DEFAULTS = {
  clockTolerance: 5,
  cooldown: 30,
  cacheMaxAge: 300,
  timeout: 5,
  revocationsInterval: 10,
} as const;

// Looked up at call time and called on `globalThis`: a detached `fetch` throws "Illegal invocation"
// in browsers and workers.
const globalFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

/**
 * What an entry of the verifier adds to the options. @internal
 */
export interface VerifierRuntime {
  /**
   * Counts and logs instead of the report the `logger` and `telemetry` options make: the kit's own
   * verifier counts through the kit's telemetry.
   */
  report?: VerifierReport;
  /**
   * Looks for `@opentelemetry/api` when `telemetry` is left out (the Node entry). Without it, a
   * left-out `telemetry` reports nothing.
   */
  findTelemetry?: () => Promise<OpenTelemetryApi | undefined>;
}

/**
 * {@link VerifierOptions} checked and turned into what verification uses: defaults applied,
 * durations in seconds, the key source and the revocation list built.
 *
 * @internal
 */
export interface ResolvedVerifierOptions {
  readonly issuer: string;
  readonly audiences: ReadonlySet<string>;
  /** The allow-list: a `Map`, so that `alg: "__proto__"` finds nothing. */
  readonly allowed: ReadonlyMap<string, AlgorithmProfile>;
  readonly clock: () => number;
  readonly toleranceSeconds: number;
  readonly keys: KeySource;
  readonly revocations: RevocationList | undefined;
  /** Where verifications and fetches are counted, and fetch failures logged. */
  readonly report: VerifierReport;
}

/**
 * Checks every option once, when the factory runs: a bad option throws
 * {@link KitInvalidOptionsError} with a message that says what to set (and a `jwks` without a
 * `keys` array throws {@link KitJwksInvalidError}). Fetches nothing.
 *
 * @internal
 */
export function resolveVerifierOptions(
  options: VerifierOptions,
  backend: VerifyBackend,
  { report, findTelemetry }: VerifierRuntime = {},
): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) {
    throw new KitInvalidOptionsError(
      'createVerifier needs an options object with `issuer`, `audience` and `jwksUrl` or `jwks`.',
    );
  }
  const issuer = checkIssuer(options.issuer);
  const audiences = checkAudience(options.audience);
  const allowed = checkAlgorithms(options.algorithms);
  const clock = checkFunction(options.clock, 'clock') ?? Date.now;
  const toleranceSeconds = toOptionSeconds(
    options.clockTolerance,
    'clockTolerance',
    DEFAULTS.clockTolerance,
    { allowZero: true },
  );
  const logger = resolveLogger(options.logger);
  // A bad `telemetry` throws here, synchronously, like every other option; only a left-out one
  // resolves later (the optional peer is imported), and counts wait for it.
  const reporter =
    report ??
    createVerifierReport(
      resolveTelemetry(options.telemetry, '@kit/core/verify', findTelemetry),
      logger,
      clock,
    );
  const keys = createKeySource(options, allowed, clock, backend, reporter);
  const revocations = createRevocationList(options, clock, reporter);
  return { issuer, audiences, allowed, clock, toleranceSeconds, keys, revocations, report: reporter };
}

function checkIssuer(issuer: unknown): string {
  if (typeof issuer !== 'string' || issuer === '') {
    throw new KitInvalidOptionsError(
      'Set `issuer` to the exact `iss` your tokens carry, for example "https://auth.example.com".',
    );
  }
  return issuer;
}

function checkAudience(audience: unknown): ReadonlySet<string> {
  const list = typeof audience === 'string' ? [audience] : audience;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.some((value) => typeof value !== 'string' || value === '')
  ) {
    throw new KitInvalidOptionsError(
      'Set `audience` to the audience of this API (a non-empty string, or an array of them), for example "https://api.example.com".',
    );
  }
  return new Set(list as string[]);
}

function checkAlgorithms(algorithms: unknown): ReadonlyMap<string, AlgorithmProfile> {
  const list = algorithms ?? SUPPORTED_ALGORITHMS;
  if (!Array.isArray(list) || list.length === 0) {
    throw new KitInvalidOptionsError(
      `Set \`algorithms\` to a non-empty array of ${SUPPORTED_ALGORITHMS.join(', ')}, or leave it out to allow all of them.`,
    );
  }
  const allowed = new Map<string, AlgorithmProfile>();
  for (const alg of list as unknown[]) {
    if (typeof alg === 'string' && (alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg))) {
      throw new KitInvalidOptionsError(
        `\`algorithms\` may not contain "${alg}": access tokens are verified with public keys only, never with a shared secret or no signature.`,
      );
    }
    if (typeof alg !== 'string' || !Object.hasOwn(ALGORITHMS, alg)) {
      throw new KitInvalidOptionsError(
        `\`algorithms\` may only contain ${SUPPORTED_ALGORITHMS.join(', ')} (got ${JSON.stringify(String(alg))}).`,
      );
    }
    allowed.set(alg, ALGORITHMS[alg as VerifierAlgorithm]);
  }
  return allowed;
}

function checkFunction<T>(value: T | undefined, name: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new KitInvalidOptionsError(`\`${name}\` must be a function (or left out for the default).`);
  }
  return value;
}

/** An absolute `http:`/`https:` URL, or a {@link KitInvalidOptionsError} naming the option. */
function checkHttpUrl(value: string | undefined, name: string, invalid: string): URL {
  let url: URL;
  try {
    url = new URL(value as string);
  } catch (cause) {
    throw new KitInvalidOptionsError(invalid, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KitInvalidOptionsError(`\`${name}\` must be an http: or https: URL.`);
  }
  return url;
}

function createKeySource(
  options: VerifierOptions,
  allowed: ReadonlyMap<string, AlgorithmProfile>,
  clock: () => number,
  backend: VerifyBackend,
  report: VerifierReport,
): KeySource {
  const { jwks, jwksUrl } = options;
  if ((jwks === undefined) === (jwksUrl === undefined)) {
    throw new KitInvalidOptionsError(
      'Set exactly one of `jwksUrl` (the issuer\'s JWKS URL, e.g. "https://auth.example.com/.well-known/jwks.json") and `jwks` (a local key set).',
    );
  }
  // Validated even when unused, so that a typo fails now rather than when switching to a URL.
  const cooldown = toOptionSeconds(options.cooldown, 'cooldown', DEFAULTS.cooldown, { allowZero: true });
  const cacheMaxAge = toOptionSeconds(options.cacheMaxAge, 'cacheMaxAge', DEFAULTS.cacheMaxAge, {
    allowZero: true,
  });
  const timeout = toOptionSeconds(options.timeout, 'timeout', DEFAULTS.timeout);
  const customFetch = checkFunction(options.fetch, 'fetch');

  if (jwks !== undefined) {
    if (typeof jwks !== 'object' || jwks === null) {
      throw new KitInvalidOptionsError('Set `jwks` to a JWK set object: `{ keys: [...] }`.');
    }
    if (!Array.isArray(jwks.keys)) {
      throw new KitJwksInvalidError('The `jwks` option is not a JWK set: it needs a `keys` array.');
    }
    return new LocalKeySet(jwks.keys, allowed, backend.prepare);
  }

  const url = checkHttpUrl(
    jwksUrl,
    'jwksUrl',
    "Set `jwksUrl` to an absolute http(s) URL of the issuer's JWKS.",
  );
  if (customFetch === undefined && typeof globalThis.fetch !== 'function') {
    throw new KitInvalidOptionsError('This runtime has no global `fetch`: pass one as the `fetch` option.');
  }
  return new RemoteKeySet({
    url: url.href,
    allowed,
    fetch: customFetch ?? globalFetch,
    clock,
    timeoutMs: timeout * 1000,
    cooldownMs: cooldown * 1000,
    cacheMaxAgeMs: cacheMaxAge * 1000,
    prepare: backend.prepare,
    onFetch: report.fetches('jwks', url.href),
  });
}

function createRevocationList(
  options: VerifierOptions,
  clock: () => number,
  report: VerifierReport,
): RevocationList | undefined {
  const interval = toOptionSeconds(
    options.revocationsInterval,
    'revocationsInterval',
    DEFAULTS.revocationsInterval,
  );
  const failure = options.revocationsFailure ?? 'open';
  if (failure !== 'open' && failure !== 'closed') {
    throw new KitInvalidOptionsError("Set `revocationsFailure` to 'open' or 'closed'.");
  }
  if (options.revocationsUrl === undefined) return undefined;
  const url = checkHttpUrl(
    options.revocationsUrl,
    'revocationsUrl',
    "Set `revocationsUrl` to the absolute http(s) URL of the issuer's revocation list.",
  );
  const customFetch = checkFunction(options.fetch, 'fetch');
  const timeout = toOptionSeconds(options.timeout, 'timeout', DEFAULTS.timeout);
  return new RevocationList({
    url: url.href,
    fetch: customFetch ?? globalFetch,
    clock,
    intervalMs: interval * 1000,
    failure,
    timeoutMs: timeout * 1000,
    onFetch: report.fetches('revocations', url.href),
  });
}
