/**
 * HTTP benchmarks of `@kit/hono` on 127.0.0.1 with a load generator (load-generator.ts), in the
 * same run as the raw `pg` rotation figure they are compared with:
 *
 * - `POST /token`: refresh rotations per second at 16 connections, each connection chaining its
 *   own session (every request presents the refresh token the previous response returned), with
 *   p50/p99 latency. Compared with the raw `pg` rotation statement at 16 callers.
 * - `GET /me` behind `createBearerAuth`: requests per second with one token, next to
 *   `GET /health` (an unauthenticated route of the same app: the cost of Hono and HTTP alone) and
 *   next to a bare `node:http` server verifying the same token with `node:crypto` (the limit).
 *
 * The servers run in a child process (http-server.ts) and the load generator in another
 * (load-process.ts), so neither shares an event loop with the other or with the bench process;
 * "node cpu" and "ELU" of these figures are the server process's. Every response is checked: a
 * non-2xx answer fails the run instead of being counted as throughput.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type ChildProcess, startChildProcess } from '@kit/test-support/child-process';
import { machineTicks, type Rounds, type RunResult } from './harness.ts';
import type { LoadResult } from './load-generator.ts';

/** One HTTP figure, shaped like the other figures of the report. */
export interface HttpFigure {
  key: string;
  name: string;
  contains: string;
  result: RunResult;
}

/**
 * Starts one of the HTTP figures' processes (a module of this folder, speaking the protocol of
 * `@kit/test-support/child-process`), writing to the bench's own output. `BENCH_HTTP_PROFILE=DIR`
 * writes a CPU profile of each into DIR.
 */
export function startChild<Ready = Record<string, never>>(
  file: string,
  name: string,
  env: Record<string, string>,
): Promise<ChildProcess<Ready>> {
  const profile = process.env.BENCH_HTTP_PROFILE;
  return startChildProcess<Ready>({
    entry: fileURLToPath(new URL(file, import.meta.url)),
    name: `the HTTP bench's ${name}`,
    env,
    execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [],
    output: 'inherit',
    stopTimeoutMs: 5000,
  });
}

/** The HTTP bench's server process (http-server.ts). */
export type Server = ChildProcess<{ kitPort: number; barePort: number }>;
/** The load generator's process (load-process.ts). */
export type Generator = ChildProcess;

type Stats = { cpu: NodeJS.CpuUsage; elu: { idle: number; active: number } };

/** What one window loads: a named chain of `/token` clients, or a GET of a path. */
export type Load = { chain: string } | { get: string; headers?: Record<string, string> };

/** One load window (in the generator's process), with the server's CPU and event-loop counters around it. */
export async function measure(
  server: Pick<ChildProcess<unknown>, 'call'>,
  generator: Generator,
  options: { port: number; connections: number; seconds: number; load: Load },
): Promise<RunResult> {
  const before = await server.call<Stats>('stats');
  const ticksBefore = machineTicks();
  const result = await generator.call<LoadResult>('load', {
    port: options.port,
    connections: options.connections,
    seconds: options.seconds,
    ...options.load,
  });
  const ticksAfter = machineTicks();
  const after = await server.call<Stats>('stats');
  if (result.failed > 0) {
    throw new Error(`HTTP bench against port ${options.port}: ${result.failed} answers failed their check`);
  }
  const { seconds, ok: operations } = result;
  const cpuSeconds = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1e6;
  const active = after.elu.active - before.elu.active;
  const total = active + after.elu.idle - before.elu.idle;
  return {
    concurrency: options.connections,
    operations,
    seconds,
    rounds: 1,
    opsPerSecond: operations / seconds,
    latencyMs: result.latencyMs,
    processCpuCores: cpuSeconds / seconds,
    processCpuMicrosPerOp: operations === 0 ? Number.NaN : (cpuSeconds / operations) * 1e6,
    eventLoopUtilization: total === 0 ? 0 : active / total,
    machineCpuCores:
      ticksBefore && ticksAfter && ticksAfter.total > ticksBefore.total
        ? ((ticksAfter.busy - ticksBefore.busy) / (ticksAfter.total - ticksBefore.total)) * cpus().length
        : null,
    generatorCpuMicrosPerOp: result.generatorCpuMicrosPerOp,
  };
}

/** Short unmeasured load before every round but the first, as the in-process figures have. */
export const REWARM_SECONDS = 0.3;

/**
 * The server is a fresh process: V8 optimises the paths of Hono, the kit and pg over the first
 * seconds of load (a fresh server's first 4 s of `/token` ran 15–30% below the following windows
 * here), so its first warm-up lasts at least this long, whatever `warmupSeconds` says.
 */
export const SERVER_WARMUP_SECONDS = 5;

/**
 * Rounds of one figure combined: throughput over the total time; latency p50 the median of the
 * rounds' p50s, p99 and max the worst round's (percentiles are kept per window).
 */
export function combine(windows: readonly RunResult[]): RunResult {
  const seconds = windows.reduce((sum, w) => sum + w.seconds, 0);
  const operations = windows.reduce((sum, w) => sum + w.operations, 0);
  const weighted = (pick: (w: RunResult) => number) =>
    windows.reduce((sum, w) => sum + pick(w) * w.seconds, 0) / seconds;
  const p50s = windows.map((w) => w.latencyMs.p50).sort((a, b) => a - b);
  const cpuSeconds = windows.reduce((sum, w) => sum + w.processCpuCores * w.seconds, 0);
  const machine = windows.every((w) => w.machineCpuCores !== null)
    ? weighted((w) => w.machineCpuCores ?? 0)
    : null;
  return {
    concurrency: windows[0]!.concurrency,
    operations,
    seconds,
    rounds: windows.length,
    opsPerSecond: operations / seconds,
    latencyMs: {
      mean: windows.reduce((sum, w) => sum + w.latencyMs.mean * w.operations, 0) / Math.max(1, operations),
      p50: p50s[Math.floor(p50s.length / 2)]!,
      p99: Math.max(...windows.map((w) => w.latencyMs.p99)),
      max: Math.max(...windows.map((w) => w.latencyMs.max)),
    },
    processCpuCores: cpuSeconds / seconds,
    processCpuMicrosPerOp: operations === 0 ? Number.NaN : (cpuSeconds / operations) * 1e6,
    eventLoopUtilization: weighted((w) => w.eventLoopUtilization),
    machineCpuCores: machine,
    generatorCpuMicrosPerOp:
      windows.reduce((sum, w) => sum + (w.generatorCpuMicrosPerOp ?? 0) * w.operations, 0) /
      Math.max(1, operations),
  };
}

/** Runs every HTTP figure; `log` reports progress. */
export async function measureHttp(options: {
  databaseUrl: string;
  poolSize: number;
  connections: number;
  warmupSeconds: number;
  benchSeconds: number;
  rounds: number;
  /** The raw rotation statement at `connections` callers, measured in rounds alternating with `/token`. */
  rawRotation: Rounds;
  log: (line: string) => void;
}): Promise<HttpFigure[]> {
  const { connections, warmupSeconds, benchSeconds, log } = options;
  const rounds = Math.max(1, options.rounds);
  const server: Server = await startChild('./http-server.ts', 'server', {
    BENCH_HTTP_DATABASE_URL: options.databaseUrl,
    BENCH_HTTP_POOL_SIZE: String(options.poolSize),
  });
  const generator: Generator = await startChild('./load-process.ts', 'load generator', {});
  const { kitPort, barePort } = server.ready;
  try {
    const figures: HttpFigure[] = [];

    // /token, in rounds alternating with the raw rotation statement it is compared with, so both
    // meet the same load from outside the run. Each connection chains one session through all
    // rounds; the warm-up uses sessions of its own.
    log(
      `measuring HTTP POST /token at ${connections} connections, each chaining its own session, in ${rounds} rounds alternating with the raw rotation statement`,
    );
    await generator.call('chains', {
      name: 'warm-up',
      tokens: await server.call<string[]>('sessions', { count: connections }),
    });
    await measure(server, generator, {
      port: kitPort,
      connections,
      seconds: Math.max(warmupSeconds, SERVER_WARMUP_SECONDS),
      load: { chain: 'warm-up' },
    });
    await generator.call('chains', {
      name: 'measured',
      tokens: await server.call<string[]>('sessions', { count: connections }),
    });
    const tokenWindows: RunResult[] = [];
    const load: Load = { chain: 'measured' };
    for (let round = 0; round < rounds; round++) {
      await options.rawRotation.window((benchSeconds / rounds) * 1000);
      if (round > 0) {
        await measure(server, generator, { port: kitPort, connections, seconds: REWARM_SECONDS, load });
      }
      tokenWindows.push(
        await measure(server, generator, {
          port: kitPort,
          connections,
          seconds: benchSeconds / rounds,
          load,
        }),
      );
    }
    figures.push(
      {
        key: `http.token@${connections}`,
        name: 'HTTP POST /token (rotation)',
        contains:
          'a keep-alive HTTP/1.1 load generator on 127.0.0.1 against createKitRoutes under @hono/node-server in a child process: form parsing, kit.refresh (the same UPDATE, ES256 signing), JSON token response; each connection chains its own session',
        result: combine(tokenWindows),
      },
      {
        key: `http.token-raw@${connections}`,
        name: 'rotation: raw pg, alternating with HTTP POST /token (limit)',
        contains:
          'the raw rotation statement (as refresh.raw), measured in rounds alternating with the HTTP POST /token rounds',
        result: options.rawRotation.result(),
      },
    );

    // /me, /health and the bare server, each warmed up, then measured in turn.
    const token = await server.call<string>('access');
    const me: Load = { get: '/me', headers: { authorization: `Bearer ${token}` } };
    const variants = [
      {
        key: `http.me-bare@${connections}`,
        name: 'HTTP GET /me: bare node:http + node:crypto (limit)',
        contains:
          'node:http server, header check, ES256 crypto.verify, exp/iss/aud, JSON claims; no framework',
        port: barePort,
        load: me,
      },
      {
        key: `http.me@${connections}`,
        name: 'HTTP GET /me: createBearerAuth',
        contains:
          'Hono app under @hono/node-server, createBearerAuth({ kit }) (full RFC 9068 verification), c.json(claims)',
        port: kitPort,
        load: me,
      },
      {
        key: `http.health@${connections}`,
        name: 'HTTP GET /health: same app, no auth',
        contains:
          'the same Hono app and server, an unauthenticated route answering "ok": HTTP and routing alone',
        port: kitPort,
        load: { get: '/health' } as Load,
      },
    ];
    // Warm-up, then alternating rounds (as the rest of the bench does), so load from outside the
    // run weighs on the three alike.
    const windows = new Map<string, RunResult[]>(variants.map((v) => [v.key, []]));
    for (const v of variants) {
      await measure(server, generator, { port: v.port, connections, seconds: warmupSeconds, load: v.load });
    }
    log(
      `measuring HTTP GET /me (bare node:http, createBearerAuth) and GET /health in ${rounds} alternating rounds`,
    );
    for (let round = 0; round < rounds; round++) {
      for (const v of variants) {
        windows.get(v.key)!.push(
          await measure(server, generator, {
            port: v.port,
            connections,
            seconds: benchSeconds / rounds,
            load: v.load,
          }),
        );
      }
    }
    for (const v of variants) {
      figures.push({ key: v.key, name: v.name, contains: v.contains, result: combine(windows.get(v.key)!) });
    }
    return figures;
  } finally {
    await generator.stop();
    await server.stop();
  }
}
