/**
 * What a rate limit costs `POST /token`, per store: the same route with no limit, with the
 * in-memory store, with the PostgreSQL store and with the Redis store, over HTTP at 16 keep-alive
 * connections (each chaining its own session and counted as a client of its own), in alternating
 * rounds so load from outside the run weighs on every variant alike. The server runs in a child
 * process (rate-limit-server.ts) and the load generator in another (load-process.ts), as in
 * http.ts; "server CPU per request" is the server process's CPU, "machine CPU per request" the
 * whole machine's (it includes PostgreSQL's and Redis's work for the limit, and the generator's).
 *
 * Runs inside `pnpm bench`, and alone with `pnpm --filter @kit/bench rate-limits`
 * (rate-limits.ts).
 */
import { redisAnswers } from '@kit/test-support/redis';
import type { RunResult } from './harness.ts';
import {
  combine,
  type Generator,
  type HttpFigure,
  type Load,
  measure,
  REWARM_SECONDS,
  SERVER_WARMUP_SECONDS,
  startChild,
} from './http.ts';
import { type Comparison, compare, type Figure } from './report.ts';

/** The Redis to measure: `REDIS_URL`, or the one on 127.0.0.1:6379 when it answers. */
export async function benchRedisUrl(): Promise<string | undefined> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  return (await redisAnswers(url)) ? url : undefined;
}

/** The variants, in the order they are measured in each round. */
export const RATE_LIMIT_VARIANTS = ['none', 'memory', 'postgresql', 'redis'] as const;
export type RateLimitVariant = (typeof RATE_LIMIT_VARIANTS)[number];

/** The key of a variant's figure at `connections` connections. */
const figureKey = (variant: RateLimitVariant, connections: number) =>
  `http.token-rate-limit-${variant}@${connections}`;

const DESCRIPTIONS: Record<RateLimitVariant, { name: string; contains: string }> = {
  none: {
    name: 'HTTP POST /token, no rate limit',
    contains: 'createKitRoutes with rateLimit: false: the baseline of the rate-limit figures',
  },
  memory: {
    name: 'HTTP POST /token, rate limit in memory',
    contains:
      'createRateLimit with createMemoryRateLimitStore(): one Map update per request, this process only',
  },
  postgresql: {
    name: 'HTTP POST /token, rate limit in PostgreSQL',
    contains:
      'createRateLimit with createMikroOrmRateLimitStore (its own pool of 16): one INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE ... RETURNING on kit_rate_limits per group, the hits of one event-loop turn counted together (at most two statements in flight)',
  },
  redis: {
    name: 'HTTP POST /token, rate limit in Redis',
    contains:
      'createRateLimit with createRedisRateLimitStore on one node-redis client: one EVALSHA of the hit script per request',
  },
};

/** The figures of one variant, with its cost next to `none`. */
export interface RateLimitFigure extends HttpFigure {
  variant: RateLimitVariant;
  /** Machine CPU per request in µs (all processes: server, database or Redis, load generator). */
  machineCpuMicrosPerOp: number | null;
}

/** Measures every variant the machine offers (Redis only with `redisUrl`). */
export async function measureRateLimitStores(options: {
  databaseUrl: string;
  poolSize: number;
  connections: number;
  warmupSeconds: number;
  benchSeconds: number;
  rounds: number;
  /** A Redis to count in; without it the `redis` variant is left out (and said so). */
  redisUrl: string | undefined;
  log: (line: string) => void;
}): Promise<RateLimitFigure[]> {
  const { connections, warmupSeconds, benchSeconds, log } = options;
  const rounds = Math.max(1, options.rounds);
  const server = await startChild<{ ports: Record<string, number> }>(
    './rate-limit-server.ts',
    'rate-limit server',
    {
      BENCH_HTTP_DATABASE_URL: options.databaseUrl,
      BENCH_HTTP_POOL_SIZE: String(options.poolSize),
      ...(options.redisUrl ? { BENCH_RATE_LIMIT_REDIS_URL: options.redisUrl } : {}),
    },
  );
  const generator: Generator = await startChild('./load-process.ts', 'load generator', {});
  const variants = RATE_LIMIT_VARIANTS.filter((v) => server.ready.ports[v] !== undefined);
  if (!variants.includes('redis')) log('rate limits: no Redis (set REDIS_URL), the Redis store is left out');
  try {
    const loads = new Map<RateLimitVariant, Load>();
    for (const v of variants) {
      await generator.call('chains', {
        name: `rate-limit-${v}`,
        tokens: await server.call<string[]>('sessions', { count: connections }),
      });
      loads.set(v, { chain: `rate-limit-${v}` });
    }
    const window = (v: RateLimitVariant, seconds: number) =>
      measure(server, generator, {
        port: server.ready.ports[v]!,
        connections,
        seconds,
        load: loads.get(v)!,
      });

    log(
      `measuring HTTP POST /token with each rate-limit store (${variants.join(', ')}) at ${connections} connections, in ${rounds} alternating rounds`,
    );
    // A fresh server process: the first warm-up is long enough for V8 to settle (see http.ts).
    await window(variants[0]!, Math.max(warmupSeconds, SERVER_WARMUP_SECONDS));
    for (const v of variants.slice(1)) await window(v, warmupSeconds);
    const windows = new Map<RateLimitVariant, RunResult[]>(variants.map((v) => [v, []]));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round, so no variant always follows the same one.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const v of order) {
        await window(v, REWARM_SECONDS);
        windows.get(v)!.push(await window(v, benchSeconds / rounds));
      }
    }
    return variants.map((v) => {
      const result = combine(windows.get(v)!);
      return {
        variant: v,
        key: figureKey(v, connections),
        ...DESCRIPTIONS[v],
        result,
        machineCpuMicrosPerOp:
          result.machineCpuCores === null ? null : (result.machineCpuCores / result.opsPerSecond) * 1e6,
      };
    });
  } finally {
    await generator.stop();
    await server.stop();
  }
}

/**
 * A shared store (PostgreSQL, Redis) may cost `POST /token` at most 1/0.85 of the server CPU per
 * request it takes with no limit: the judged figure, as for every HTTP figure here. Its
 * throughput next to no limit is reported beside it.
 */
export const SHARED_STORE_TARGET = 0.85;

/** The shared stores measured in `figures` against no limit: CPU per request (judged) and throughput. */
export function rateLimitComparisons(
  figures: ReadonlyMap<string, Figure>,
  connections: number,
): Comparison[] {
  const none = figureKey('none', connections);
  const comparisons: Comparison[] = [];
  for (const store of ['postgresql', 'redis'] as const) {
    const key = figureKey(store, connections);
    if (!figures.has(key) || !figures.has(none)) continue;
    comparisons.push(
      compare(
        figures,
        `HTTP POST /token, ${store} rate limit: CPU/request, none ÷ store`,
        key,
        none,
        SHARED_STORE_TARGET,
        'cpu',
      ),
      compare(figures, `HTTP POST /token, ${store} rate limit: throughput, store ÷ none`, key, none, null),
    );
  }
  return comparisons;
}

/** One line per variant: requests/s, server and machine CPU per request, latency, cost next to none. */
export function formatRateLimitFigures(figures: readonly RateLimitFigure[]): string {
  const none = figures.find((f) => f.variant === 'none');
  const rows = [
    [
      'store',
      'req/s',
      'vs none',
      'server CPU µs/req',
      '+µs',
      'machine CPU µs/req',
      '+µs',
      'p50 ms',
      'p99 ms',
    ],
  ];
  for (const f of figures) {
    const r = f.result;
    const base = none?.result;
    rows.push([
      f.variant,
      r.opsPerSecond.toFixed(0),
      base ? `${((r.opsPerSecond / base.opsPerSecond - 1) * 100).toFixed(1)}%` : '',
      r.processCpuMicrosPerOp.toFixed(0),
      base ? (r.processCpuMicrosPerOp - base.processCpuMicrosPerOp).toFixed(0) : '',
      f.machineCpuMicrosPerOp === null ? 'n/a' : f.machineCpuMicrosPerOp.toFixed(0),
      f.machineCpuMicrosPerOp !== null && none?.machineCpuMicrosPerOp != null
        ? (f.machineCpuMicrosPerOp - none.machineCpuMicrosPerOp).toFixed(0)
        : '',
      r.latencyMs.p50.toFixed(2),
      r.latencyMs.p99.toFixed(2),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padStart(widths[i]!)).join('  ')).join('\n');
}
