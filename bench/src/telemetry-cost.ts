/**
 * What OpenTelemetry costs the kit: the same server (http-server.ts) run twice, once with no SDK
 * (the kit finds `@opentelemetry/api` installed and reports to its no-op providers) and once with a
 * real SDK registered before the kit (otel-sdk.ts: metrics collected every second, every span
 * recorded through a batch span processor, the AsyncLocalStorage context manager). Measured, in
 * rounds alternating between the two processes (the order reversed every other round) so load
 * from outside the run weighs on both alike:
 *
 * - `POST /token` at 16 keep-alive connections, each chaining its own session;
 * - `GET /me` behind `createBearerAuth` at 16 connections, one token;
 * - in each server process (in-process.ts): `kit.refresh` at 16 callers on PostgreSQL,
 *   `kit.refresh` on an in-memory store (the kit's own work only), and `createVerifier`.
 *
 * The verdict is the server's CPU per request without the SDK divided by with it (1.0: the SDK
 * costs nothing; the target, 0.97, is 3% more CPU), from each server process's own CPU time.
 * Throughput is reported beside it.
 */

import type { RunResult } from './harness.ts';
import {
  combine,
  type Generator,
  type Load,
  measure,
  REWARM_SECONDS,
  SERVER_WARMUP_SECONDS,
  type Server,
  startChild,
} from './http.ts';
import type { InProcessOperation } from './in-process.ts';
import { METRIC_INTERVAL_MS, type SdkCounts } from './otel-sdk.ts';
import { type Comparison, compare, type Figure } from './report.ts';

/** Target of the judged figures (`pnpm bench`: the kit on against off, the SDK in both): at most 3% more CPU per request. */
export const TELEMETRY_TARGET = 0.97;

const VARIANTS = ['none', 'sdk'] as const;
type Variant = (typeof VARIANTS)[number];

/** What the SDK's exporters received per request of one phase (spans by name). */
export interface TelemetryPhase {
  requests: number;
  spansPerRequest: Record<string, number>;
}

/** What was registered, and what the SDK received while it was measured. */
export interface TelemetrySummary {
  sdk: string;
  /** Instruments in the SDK's last metric collection. */
  metricNames: string[];
  /** Metric collections exported during the run. */
  collections: number;
  token: TelemetryPhase;
  me: TelemetryPhase;
}

const SDK_DESCRIPTION = `@opentelemetry/sdk-metrics MeterProvider with a PeriodicExportingMetricReader every ${METRIC_INTERVAL_MS} ms into an exporter that discards; @opentelemetry/sdk-trace-base BasicTracerProvider (every span sampled) with a BatchSpanProcessor (defaults) into an exporter that discards; @opentelemetry/context-async-hooks AsyncLocalStorageContextManager; registered as the global providers before the kit is created`;

const WITHOUT =
  'no SDK registered: @opentelemetry/api 1.9.1 installed with nothing behind it, so the kit takes its telemetry-off path';

const IN_PROCESS: { operation: InProcessOperation; concurrency: number; name: string; contains: string }[] = [
  {
    operation: 'refresh',
    concurrency: 16,
    name: 'kit.refresh (PostgreSQL)',
    contains:
      'kit.refresh on the MikroORM store, 16 callers each chaining its own session, inside the server process; CPU of that process',
  },
  {
    operation: 'refresh-memory',
    concurrency: 1,
    name: 'kit.refresh (in-memory store)',
    contains:
      "kit.refresh on a store in memory, 1 caller, inside the server process: only the kit's own work, where telemetry weighs most",
  },
  {
    operation: 'verifier',
    concurrency: 1,
    name: 'createVerifier',
    contains:
      '@kit/core/verify createVerifier (node:crypto path, local JWKS), 1 caller, inside the server process',
  },
];

/** Round `round`'s order of the two variants: reversed every other round. */
const order = (round: number): readonly Variant[] => (round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse());

/** The variant's label in figure names and keys. */
const label = (v: Variant) => (v === 'sdk' ? 'with SDK' : 'no SDK');

function phase(before: SdkCounts, after: SdkCounts, requests: number): TelemetryPhase {
  const spansPerRequest: Record<string, number> = {};
  for (const [name, count] of Object.entries(after.spanNames)) {
    const added = count - (before.spanNames[name] ?? 0);
    if (added > 0) spansPerRequest[name] = Math.round((added / Math.max(1, requests)) * 100) / 100;
  }
  return { requests, spansPerRequest };
}

/** Measures every telemetry figure; returns the figures, their comparisons and what the SDK saw. */
export async function measureTelemetry(options: {
  databaseUrl: string;
  poolSize: number;
  connections: number;
  warmupSeconds: number;
  benchSeconds: number;
  rounds: number;
  /**
   * What the "with SDK" server registers (`BENCH_HTTP_TELEMETRY` of http-server.ts): `sdk` (the
   * default), some of its parts (`metrics,traces`: a diagnostic), or `''` for a control run, where
   * the two servers differ in nothing and the ratios show the noise of the measurement itself.
   */
  sdk?: string;
  /**
   * `sdk-alone`: the "with SDK" server's kit has `telemetry: false`, so the figures are what the
   * SDK costs the process by itself. `kit-only`: the "no SDK" server registers the same SDK with
   * the kit's telemetry off, so the figures are what the kit's own instrumentation adds to a
   * process that already runs the SDK (what `pnpm bench` judges). `sdk-floor`: as `kit-only`, and
   * the "no SDK" server's refreshes make by hand the SDK calls the kit's would (sdk-calls.ts), so
   * the refresh figures are what the kit adds beyond the SDK's own work for those calls. Unset: no
   * SDK against the SDK and the kit.
   */
  split?: 'sdk-alone' | 'kit-only' | 'sdk-floor';
  log: (line: string) => void;
}): Promise<{ figures: Figure[]; comparisons: Comparison[]; summary: TelemetrySummary }> {
  const { connections, warmupSeconds, benchSeconds, log } = options;
  const rounds = Math.max(1, options.rounds);
  const sdk = options.sdk ?? 'sdk';
  const fullSdk = ['metrics', 'traces', 'context'].every(
    (part) => sdk === 'sdk' || sdk.split(',').includes(part),
  );
  const sdkDescription = sdk.split(',').includes('sampled')
    ? SDK_DESCRIPTION.replace(
        '(every span sampled)',
        '(ParentBasedSampler over TraceIdRatioBasedSampler(0.1): one root trace in ten recorded)',
      )
    : SDK_DESCRIPTION;
  const registered =
    sdk === ''
      ? 'control run: no SDK registered either'
      : fullSdk
        ? sdkDescription
        : `only these parts of the SDK below registered: ${sdk}; ${sdkDescription}`;
  const described =
    options.split === 'sdk-alone' ? `${registered}; the kit created with telemetry: false` : registered;
  const without =
    options.split === 'kit-only'
      ? `the same SDK registered (${registered}), the kit created with telemetry: false`
      : options.split === 'sdk-floor'
        ? `the same SDK registered (${registered}), the kit created with telemetry: false, each refresh making by hand the SDK calls of the kit's telemetry (a root span, its child when sampled, two duration records)`
        : WITHOUT;
  const env = {
    BENCH_HTTP_DATABASE_URL: options.databaseUrl,
    BENCH_HTTP_POOL_SIZE: String(options.poolSize),
  };
  const kitOff = { BENCH_HTTP_KIT_TELEMETRY: 'off' };
  const servers = new Map<Variant, Server>();
  let generator: Generator | undefined;
  try {
    servers.set(
      'none',
      await startChild(
        './http-server.ts',
        'server without an SDK',
        options.split === 'kit-only'
          ? { ...env, ...kitOff, BENCH_HTTP_TELEMETRY: sdk }
          : options.split === 'sdk-floor'
            ? { ...env, BENCH_HTTP_KIT_TELEMETRY: 'sdk-calls', BENCH_HTTP_TELEMETRY: sdk }
            : env,
      ),
    );
    servers.set(
      'sdk',
      await startChild('./http-server.ts', 'server with an SDK', {
        ...env,
        ...(options.split === 'sdk-alone' ? kitOff : {}),
        BENCH_HTTP_TELEMETRY: sdk,
      }),
    );
    if (options.split === 'sdk-alone')
      log('telemetry: the SDK alone: the kit of the "with SDK" server records nothing');
    if (options.split === 'sdk-floor')
      log(
        'telemetry: the kit against the floor: both servers run the SDK, the "no SDK" one making the SDK calls of a refresh by hand',
      );
    if (options.split === 'kit-only')
      log(
        'telemetry: the kit alone: both servers run the SDK, the "no SDK" one with the kit\'s telemetry off',
      );
    generator = await startChild('./load-process.ts', 'load generator', {});
    const gen = generator;
    const server = (v: Variant) => servers.get(v)!;
    log(
      `telemetry: server without an SDK is pid ${server('none').pid}, with the SDK pid ${server('sdk').pid} (for BENCH_HTTP_PROFILE)`,
    );
    if (sdk === '') log('telemetry: control run, the "with SDK" server has no SDK either');
    else if (sdk !== 'sdk') log(`telemetry: the "with SDK" server registers only ${sdk} of the SDK`);
    const none: SdkCounts = { spans: 0, spanNames: {}, collections: 0, metricNames: [] };
    const sdkCounts = async () => (await server('sdk').call<SdkCounts | null>('telemetry')) ?? none;

    /** Alternating rounds of `window(v, seconds)`, each after a short re-warm; the results per variant. */
    const alternate = async (window: (v: Variant, seconds: number) => Promise<RunResult>) => {
      const windows = new Map<Variant, RunResult[]>(VARIANTS.map((v) => [v, []]));
      for (let round = 0; round < rounds; round++) {
        for (const v of order(round)) {
          await window(v, REWARM_SECONDS);
          windows.get(v)!.push(await window(v, benchSeconds / rounds));
        }
      }
      return windows;
    };
    const served = { requests: 0 };
    const http = (load: (v: Variant) => Load) => (v: Variant, seconds: number) =>
      measure(server(v), gen, {
        port: server(v).ready.kitPort,
        connections,
        seconds,
        load: load(v),
      }).then((result) => {
        if (v === 'sdk') served.requests += result.operations;
        return result;
      });

    // With BENCH_HTTP_PROFILE: when each section ran, on the monotonic clock the CPU profiles'
    // timestamps use (µs), so a profile can be cut to one section.
    const phases: string[] = [];
    const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const start = process.hrtime.bigint() / 1000n;
      const result = await work();
      phases.push(`${name} ${start}-${process.hrtime.bigint() / 1000n}`);
      return result;
    };

    const figures: Figure[] = [];
    const comparisons: Comparison[] = [];
    /** Both variants' figures of one measurement, and their comparisons (CPU first: the verdict). */
    const add = (
      key: string,
      name: string,
      contains: string,
      results: Map<Variant, RunResult>,
      target: number | null,
    ) => {
      const keys = { none: `${key}.no-sdk`, sdk: `${key}.sdk` };
      const pair = new Map<string, Figure>();
      for (const v of VARIANTS) {
        const figure: Figure = {
          key: keys[v],
          name: `${name}, ${label(v)}`,
          contains: `${contains}; ${v === 'sdk' ? described : without}`,
          result: results.get(v)!,
        };
        figures.push(figure);
        pair.set(figure.key, figure);
      }
      comparisons.push(
        compare(pair, `${name}: CPU/op, no SDK / SDK`, keys.sdk, keys.none, target, 'cpu'),
        compare(pair, `${name}: throughput, SDK / no SDK`, keys.sdk, keys.none, null),
      );
    };
    const combined = (windows: Map<Variant, RunResult[]>) =>
      new Map(VARIANTS.map((v) => [v, combine(windows.get(v)!)] as const));

    // POST /token: each server chains sessions of its own kit (the two kits have different secrets).
    log(
      `telemetry: HTTP POST /token at ${connections} connections, no SDK and SDK in ${rounds} alternating rounds`,
    );
    for (const v of VARIANTS) {
      for (const chain of ['warm-up', 'measured']) {
        await gen.call('chains', {
          name: `telemetry-${v}-${chain}`,
          tokens: await server(v).call<string[]>('sessions', { count: connections }),
        });
      }
      // A fresh server process: the first warm-up is long enough for V8 to settle (see http.ts).
      await http(() => ({ chain: `telemetry-${v}-warm-up` }))(
        v,
        Math.max(warmupSeconds, SERVER_WARMUP_SECONDS),
      );
    }
    const beforeToken = await sdkCounts();
    served.requests = 0;
    add(
      `http.token@${connections}.telemetry`,
      'HTTP POST /token',
      'the HTTP POST /token figure (createKitRoutes, kit.refresh on PostgreSQL, ES256), each connection chaining its own session',
      combined(await timed('token', () => alternate(http((v) => ({ chain: `telemetry-${v}-measured` }))))),
      TELEMETRY_TARGET,
    );
    const afterToken = await sdkCounts();
    const token = phase(beforeToken, afterToken, served.requests);

    // GET /me behind createBearerAuth: a token of each server's own kit.
    log(
      `telemetry: HTTP GET /me at ${connections} connections, no SDK and SDK in ${rounds} alternating rounds`,
    );
    const me = new Map<Variant, Load>();
    for (const v of VARIANTS) {
      const access = await server(v).call<string>('access');
      me.set(v, { get: '/me', headers: { authorization: `Bearer ${access}` } });
      await http((w) => me.get(w)!)(v, warmupSeconds);
    }
    served.requests = 0;
    add(
      `http.me@${connections}.telemetry`,
      'HTTP GET /me (createBearerAuth)',
      'the HTTP GET /me figure: Hono app, createBearerAuth({ kit }), c.json(claims)',
      combined(await timed('me', () => alternate(http((v) => me.get(v)!)))),
      TELEMETRY_TARGET,
    );
    const meSeen = phase(afterToken, await sdkCounts(), served.requests);

    // In-process: each server process measures the kit's own calls on its CPU, in alternating rounds.
    for (const figure of IN_PROCESS) {
      log(`telemetry: in-process ${figure.name}, no SDK and SDK in ${rounds} alternating rounds`);
      const key = `telemetry-${figure.operation}`;
      for (const v of VARIANTS) {
        await server(v).call('in-process', {
          key,
          operation: figure.operation,
          concurrency: figure.concurrency,
          warmupMs: warmupSeconds * 1000,
        });
      }
      await timed(figure.operation, async () => {
        for (let round = 0; round < rounds; round++) {
          for (const v of order(round)) {
            await server(v).call('in-process-window', { key, durationMs: (benchSeconds / rounds) * 1000 });
          }
        }
      });
      const results = new Map<Variant, RunResult>();
      for (const v of VARIANTS) results.set(v, await server(v).call<RunResult>('in-process-result', { key }));
      // Context for the HTTP figures (the in-memory one is the harshest case): no target.
      add(`telemetry.${figure.operation}@${figure.concurrency}`, figure.name, figure.contains, results, null);
    }

    if (process.env.BENCH_HTTP_PROFILE) {
      log(`telemetry: sections on the CPU profiles' clock (µs): ${phases.join(', ')}`);
    }
    const last = await sdkCounts();
    return {
      figures,
      comparisons,
      summary: {
        sdk: described,
        metricNames: last.metricNames,
        collections: last.collections,
        token,
        me: meSeen,
      },
    };
  } finally {
    await generator?.stop();
    for (const s of servers.values()) await s.stop();
  }
}

/** One line per measurement: each variant's requests/s and CPU per operation, and the two ratios. */
export function formatTelemetryFigures(
  figures: readonly Figure[],
  comparisons: readonly Comparison[],
): string {
  const byKey = new Map(figures.map((f) => [f.key, f]));
  const rows = [
    ['measurement', 'no SDK op/s', 'SDK op/s', 'SDK/none', 'no SDK µs/op', 'SDK µs/op', 'none/SDK', 'target'],
  ];
  for (const c of comparisons) {
    if (c.basis !== 'cpu') continue;
    const none = byKey.get(c.limit)!.result;
    const sdk = byKey.get(c.subject)!.result;
    rows.push([
      c.name.replace(/: CPU\/op.*$/, ''),
      none.opsPerSecond.toFixed(0),
      sdk.opsPerSecond.toFixed(0),
      (sdk.opsPerSecond / none.opsPerSecond).toFixed(3),
      none.processCpuMicrosPerOp.toFixed(1),
      sdk.processCpuMicrosPerOp.toFixed(1),
      c.ratio.toFixed(3),
      c.target === null ? '' : `>= ${c.target} ${c.pass ? 'met' : 'MISSED'}`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}
