/**
 * HTTP benchmarks of `@kit/hono` on 127.0.0.1 with a load generator (load-generator.ts), each held
 * against a bare server doing the same minimal work (bare-server.ts) behind the same generator:
 *
 * - `POST /token`: refresh rotations at 16 connections, each connection chaining its own session
 *   (every request presents the refresh token the previous response returned), against the bare
 *   token endpoint (`node:http`, `pg`, `node:crypto`: one compare-and-set, one ES256 signature).
 *   The raw `pg` rotation statement at 16 callers, the limit this figure was held against before,
 *   can be measured in the same rounds as a secondary figure.
 * - `GET /me` behind `createBearerAuth` with one token, against the bare server verifying the same
 *   token with `node:crypto`, next to the same verification in a Hono handler under
 *   `@hono/node-server` (the framework floor, in the bare server's process on a port of its own:
 *   what the kit's middleware costs over its framework, and the framework over `node:http`) and
 *   next to `GET /health` (an unauthenticated route of the kit's app: Hono and HTTP alone).
 * - `POST /token (DPoP)` and `GET /me (DPoP)`: the same routes on a DPoP variant of the kit's server
 *   (a process of its own, `BENCH_HTTP_DPOP=1` of http-server.ts: replay caches in its memory, a
 *   single server), in the same alternating rounds as their Bearer figures. Each `/token` chain's
 *   session is bound at login to a key of its own client, which signs a fresh ES256 proof for every
 *   request in the generator's process; `/me` presents, per connection, a bound access token and a
 *   fresh proof with its `ath`. Held against the Bearer figures (the cost of DPoP) and against the
 *   bare limits, informational: no target is set for DPoP.
 *
 * The kit's server (http-server.ts), the bare server and the load generator (load-process.ts) are
 * three processes, so none shares an event loop with another or with the bench process; each
 * figure's "node µs/op", "node cpu" and "ELU" are its own server process's, read from that
 * process's CPU time. A figure and its limit run in alternating rounds (the order reversed every
 * other round), so load from outside the run weighs on both alike. The verdict is the server CPU
 * per request (the limit's µs divided by the kit's); throughput is reported beside it. Every
 * response is checked: a non-2xx answer fails the run instead of being counted as throughput.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type ChildProcess, startChildProcess } from '@kit/test-support/child-process';
import { bundled, bundlesServers } from './bundle.ts';
import { machineTicks, type Rounds, type RunResult } from './harness.ts';
import type { LoadResult } from './load-generator.ts';
import { type Comparison, compare, type Figure } from './report.ts';

/** One HTTP figure, shaped like the other figures of the report. */
export type HttpFigure = Figure;

/**
 * Starts one of the HTTP figures' processes (a module of this folder, speaking the protocol of
 * `@kit/test-support/child-process`), writing to the bench's own output. It runs bundled as the
 * packages ship (bundle.ts), or through tsx with `BENCH_HTTP_LOADER=tsx`. `BENCH_HTTP_PROFILE=DIR`
 * writes a CPU profile of each into DIR.
 */
export async function startChild<Ready = Record<string, never>>(
  file: string,
  name: string,
  env: Record<string, string>,
): Promise<ChildProcess<Ready>> {
  const profile = process.env.BENCH_HTTP_PROFILE;
  const source = fileURLToPath(new URL(file, import.meta.url));
  const bundle = bundlesServers();
  return startChildProcess<Ready>({
    entry: bundle ? await bundled(source) : source,
    typescript: !bundle,
    name: `the HTTP bench's ${name}`,
    env,
    execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [],
    output: 'inherit',
    stopTimeoutMs: 5000,
  });
}

/** The HTTP bench's server process (http-server.ts). */
export type Server = ChildProcess<{ kitPort: number }>;
/** The bare servers' process (bare-server.ts). */
export type BareServer = ChildProcess<{ port: number; honoPort?: number }>;
/** The load generator's process (load-process.ts). */
export type Generator = ChildProcess;

type Stats = { cpu: NodeJS.CpuUsage; elu: { idle: number; active: number } };

/**
 * What one window loads: a named chain of `/token` clients, or a GET of a path; with `dpop`, a GET
 * with a bound access token per connection and a fresh proof by that connection's client (kept
 * under `clients` in the generator) per request.
 */
export type Load =
  | { chain: string }
  | {
      get: string;
      headers?: Record<string, string>;
      dpop?: { clients: string; tokens: string[]; url: string };
    };

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

/**
 * The targets of the HTTP limits. Judged on the server's CPU per request (the bare server's µs
 * divided by the kit's), throughput (the kit's requests per second divided by the bare server's)
 * beside it.
 */
export const HTTP_TARGETS = {
  /** `POST /token`: at most 1/0.85 of the bare token endpoint's CPU per refresh. */
  tokenCpu: 0.85,
  /** `POST /token`: at least 0.9 of the bare token endpoint's refreshes per second. */
  tokenThroughput: 0.9,
  /** `GET /me` behind `createBearerAuth`: at most 1/0.93 of the bare verifier's CPU per request. */
  meCpu: 0.93,
  /** `GET /me`: at least 0.9 of the bare verifier's requests per second. */
  meThroughput: 0.9,
} as const;

/** The figures' keys at `connections` connections. */
export const httpKeys = (connections: number) => ({
  token: `http.token@${connections}`,
  tokenBare: `http.token-bare@${connections}`,
  tokenRaw: `http.token-raw@${connections}`,
  me: `http.me@${connections}`,
  meBare: `http.me-bare@${connections}`,
  meHono: `http.me-hono@${connections}`,
  health: `http.health@${connections}`,
  tokenDpop: `http.token-dpop@${connections}`,
  meDpop: `http.me-dpop@${connections}`,
});

/**
 * The URLs of the DPoP variant's endpoints as its server sees them, and so the proofs' `htu`: the
 * load generator sends `Host: 127.0.0.1` (no port), and the server takes each request's own URL.
 * The login URL is only the one the bench's sessions are opened for (`dpop-sessions`).
 */
export const DPOP_URLS = {
  login: 'http://127.0.0.1/login',
  token: 'http://127.0.0.1/token',
  me: 'http://127.0.0.1/me',
} as const;

/**
 * The comparisons of the HTTP figures: each kit figure against its bare server, on CPU per
 * request first (the verdict; a figure's first comparison is the one the report's table shows)
 * and on throughput; the old `/token` limit (the raw rotation statement) when it was measured, and
 * `/me` next to `/health`, both informational.
 */
export function httpComparisons(figures: ReadonlyMap<string, Figure>, connections: number): Comparison[] {
  const k = httpKeys(connections);
  const comparisons = [
    compare(
      figures,
      `HTTP POST /token: CPU/request, bare ÷ kit, ${connections}`,
      k.token,
      k.tokenBare,
      HTTP_TARGETS.tokenCpu,
      'cpu',
    ),
    compare(
      figures,
      `HTTP POST /token: throughput, kit ÷ bare, ${connections}`,
      k.token,
      k.tokenBare,
      HTTP_TARGETS.tokenThroughput,
    ),
  ];
  if (figures.has(k.tokenRaw)) {
    comparisons.push(
      compare(
        figures,
        `HTTP POST /token / raw rotation statement (earlier limit), ${connections}`,
        k.token,
        k.tokenRaw,
        null,
      ),
    );
  }
  comparisons.push(
    compare(
      figures,
      `HTTP GET /me: CPU/request, bare ÷ createBearerAuth, ${connections}`,
      k.me,
      k.meBare,
      HTTP_TARGETS.meCpu,
      'cpu',
    ),
    compare(
      figures,
      `HTTP GET /me: throughput, createBearerAuth ÷ bare, ${connections}`,
      k.me,
      k.meBare,
      HTTP_TARGETS.meThroughput,
    ),
    compare(figures, `HTTP GET /me / unauthenticated /health, ${connections}`, k.me, k.health, null),
  );
  // The framework floor: the bare verifier's work in Hono under @hono/node-server. What the kit's
  // middleware costs over it, and what the framework costs over node:http; informational.
  if (figures.has(k.meHono)) {
    comparisons.push(
      compare(
        figures,
        `HTTP GET /me: CPU/request, Hono floor ÷ createBearerAuth, ${connections}`,
        k.me,
        k.meHono,
        null,
        'cpu',
      ),
      compare(
        figures,
        `HTTP GET /me: CPU/request, bare ÷ Hono floor (the framework), ${connections}`,
        k.meHono,
        k.meBare,
        null,
        'cpu',
      ),
    );
  }
  // DPoP: what it costs next to Bearer, and where it stands against the bare limits; no target.
  for (const [path, dpop, bearer, bare] of [
    ['POST /token', k.tokenDpop, k.token, k.tokenBare],
    ['GET /me', k.meDpop, k.me, k.meBare],
  ] as const) {
    if (!figures.has(dpop)) continue;
    comparisons.push(
      compare(
        figures,
        `HTTP ${path} (DPoP): CPU/request, Bearer ÷ DPoP, ${connections}`,
        dpop,
        bearer,
        null,
        'cpu',
      ),
      compare(figures, `HTTP ${path} (DPoP): throughput, DPoP ÷ Bearer, ${connections}`, dpop, bearer, null),
      compare(
        figures,
        `HTTP ${path} (DPoP): CPU/request, bare ÷ DPoP, ${connections}`,
        dpop,
        bare,
        null,
        'cpu',
      ),
      compare(figures, `HTTP ${path} (DPoP): throughput, DPoP ÷ bare, ${connections}`, dpop, bare, null),
    );
  }
  return comparisons;
}

/**
 * What DPoP adds per request, from the figures: the DPoP figure's server CPU per request minus its
 * Bearer figure's (µs), and the generator's (the proof signed per request), for each path measured.
 */
export function dpopCosts(
  figures: ReadonlyMap<string, Figure>,
  connections: number,
): { path: string; serverMicros: number; generatorMicros: number }[] {
  const k = httpKeys(connections);
  const costs: { path: string; serverMicros: number; generatorMicros: number }[] = [];
  for (const [path, dpop, bearer] of [
    ['POST /token', k.tokenDpop, k.token],
    ['GET /me', k.meDpop, k.me],
  ] as const) {
    const d = figures.get(dpop)?.result;
    const b = figures.get(bearer)?.result;
    if (!d || !b) continue;
    costs.push({
      path,
      serverMicros: d.processCpuMicrosPerOp - b.processCpuMicrosPerOp,
      generatorMicros: (d.generatorCpuMicrosPerOp ?? Number.NaN) - (b.generatorCpuMicrosPerOp ?? Number.NaN),
    });
  }
  return costs;
}

/** The HTTP figures and their comparisons as a small table (for the section run alone). */
export function formatHttpFigures(figures: readonly Figure[], comparisons: readonly Comparison[]): string {
  const rows = [['figure', 'req/s', 'p50 ms', 'p99 ms', 'server µs/req', 'generator µs/req']];
  for (const { name, result: r } of figures) {
    rows.push([
      name,
      r.opsPerSecond.toFixed(0),
      r.latencyMs.p50.toFixed(2),
      r.latencyMs.p99.toFixed(2),
      r.processCpuMicrosPerOp.toFixed(1),
      (r.generatorCpuMicrosPerOp ?? Number.NaN).toFixed(1),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
  lines.push('');
  for (const c of comparisons) {
    const verdict = c.target === null ? '' : ` (target >= ${c.target}: ${c.pass ? 'met' : 'MISSED'})`;
    lines.push(`${c.name}: ${c.ratio.toFixed(3)}${verdict}`);
  }
  const connections = figures[0]?.result.concurrency ?? 0;
  for (const cost of dpopCosts(new Map(figures.map((f) => [f.key, f])), connections)) {
    lines.push(
      `DPoP adds to ${cost.path}: ${cost.serverMicros.toFixed(1)} µs of server CPU per request (generator: ${cost.generatorMicros.toFixed(1)} µs, the proof)`,
    );
  }
  return lines.join('\n');
}

/** Round `round`'s order of a list of variants: reversed every other round. */
const order = <T>(variants: readonly T[], round: number): readonly T[] =>
  round % 2 === 0 ? variants : [...variants].reverse();

/** Runs every HTTP figure; `log` reports progress. */
export async function measureHttp(options: {
  databaseUrl: string;
  poolSize: number;
  connections: number;
  warmupSeconds: number;
  benchSeconds: number;
  rounds: number;
  /**
   * The raw rotation statement at `connections` callers (the earlier limit of `/token`), measured
   * in the `/token` rounds when given.
   */
  rawRotation?: Rounds;
  log: (line: string) => void;
}): Promise<HttpFigure[]> {
  const { connections, warmupSeconds, benchSeconds, log } = options;
  const rounds = Math.max(1, options.rounds);
  const keys = httpKeys(connections);
  const kit: Server = await startChild('./http-server.ts', 'kit server', {
    BENCH_HTTP_DATABASE_URL: options.databaseUrl,
    BENCH_HTTP_POOL_SIZE: String(options.poolSize),
  });
  let bare: BareServer | undefined;
  let dpopKit: Server | undefined;
  let generator: Generator | undefined;
  try {
    bare = await startChild('./bare-server.ts', 'bare server', {
      BENCH_BARE_DATABASE_URL: options.databaseUrl,
      BENCH_BARE_POOL_SIZE: String(options.poolSize),
      BENCH_BARE_VERIFY: JSON.stringify(await kit.call('verification')),
      BENCH_BARE_HONO: '1',
    });
    // The DPoP variant of the kit's server, in a process of its own: the Bearer server's process
    // (its options, routes and heap, where DPoP replay caches would grow) stays as it was.
    dpopKit = await startChild('./http-server.ts', 'kit server with DPoP', {
      BENCH_HTTP_DATABASE_URL: options.databaseUrl,
      BENCH_HTTP_POOL_SIZE: String(options.poolSize),
      BENCH_HTTP_DPOP: '1',
    });
    generator = await startChild('./load-process.ts', 'load generator', {});
    const gen = generator;
    log(
      `HTTP: the kit's server is pid ${kit.pid}, its DPoP variant pid ${dpopKit.pid}, the bare server pid ${bare.pid} (for BENCH_HTTP_PROFILE)`,
    );
    type Target = { server: Pick<ChildProcess<unknown>, 'call'>; port: number };
    const kitSide: Target = { server: kit, port: kit.ready.kitPort };
    const bareSide: Target = { server: bare, port: bare.ready.port };
    if (bare.ready.honoPort === undefined) throw new Error('the bare server started without its Hono floor');
    const honoFloor: Target = { server: bare, port: bare.ready.honoPort };
    const dpopSide: Target = { server: dpopKit, port: dpopKit.ready.kitPort };
    const dpopServer = dpopKit;
    /** `count` sessions of the DPoP variant, each bound to a key of its own client, kept under `name` in the generator. */
    const dpopSessions = async (name: string, count: number) =>
      dpopServer.call<{ refreshToken: string; accessToken: string }[]>('dpop-sessions', {
        proofs: await gen.call<string[]>('dpop-clients', { name, count, loginUrl: DPOP_URLS.login }),
        url: DPOP_URLS.login,
      });
    const window = (target: Target, load: Load, seconds: number) =>
      measure(target.server, gen, { port: target.port, connections, seconds, load });

    type Variant = { key: string; target: Target; load: Load };
    /** Alternating rounds of `variants`, each window after a short re-warm; `between` opens each round. */
    const alternate = async (variants: readonly Variant[], between?: () => Promise<void>) => {
      const windows = new Map<string, RunResult[]>(variants.map((v) => [v.key, []]));
      for (let round = 0; round < rounds; round++) {
        await between?.();
        for (const v of order(variants, round)) {
          await window(v.target, v.load, REWARM_SECONDS);
          windows.get(v.key)!.push(await window(v.target, v.load, benchSeconds / rounds));
        }
      }
      return new Map([...windows].map(([key, w]) => [key, combine(w)]));
    };

    // POST /token: each server chains sessions of its own (the kit's tokens mean nothing to the
    // bare server and the other way round); the warm-ups use sessions of their own.
    log(
      `measuring HTTP POST /token at ${connections} connections, each chaining its own session: the kit, the bare token endpoint and the kit with DPoP${options.rawRotation ? ' and the raw rotation statement' : ''} in ${rounds} alternating rounds`,
    );
    const token: Variant[] = [];
    for (const [name, target] of [
      [keys.token, kitSide],
      [keys.tokenBare, bareSide],
    ] as const) {
      for (const chain of ['warm-up', 'measured']) {
        await gen.call('chains', {
          name: `${name}-${chain}`,
          tokens: await target.server.call<string[]>('sessions', { count: connections }),
        });
      }
      // A fresh server process: its first warm-up is long enough for V8 to settle.
      await window(target, { chain: `${name}-warm-up` }, Math.max(warmupSeconds, SERVER_WARMUP_SECONDS));
      token.push({ key: name, target, load: { chain: `${name}-measured` } });
    }
    // DPoP: sessions bound at login, each chain's client proving with its own key.
    for (const chain of ['warm-up', 'measured']) {
      const name = `${keys.tokenDpop}-${chain}`;
      const sessions = await dpopSessions(name, connections);
      await gen.call('chains', {
        name,
        tokens: sessions.map((session) => session.refreshToken),
        dpop: { clients: name, url: DPOP_URLS.token },
      });
    }
    await window(
      dpopSide,
      { chain: `${keys.tokenDpop}-warm-up` },
      Math.max(warmupSeconds, SERVER_WARMUP_SECONDS),
    );
    token.push({ key: keys.tokenDpop, target: dpopSide, load: { chain: `${keys.tokenDpop}-measured` } });
    const raw = options.rawRotation;
    const tokenResults = await alternate(
      token,
      raw ? () => raw.window((benchSeconds / rounds) * 1000) : undefined,
    );
    const figures: HttpFigure[] = [
      {
        key: keys.tokenBare,
        name: 'HTTP POST /token: bare node:http + pg + node:crypto (limit)',
        contains:
          "node:http server in a process of its own: form body read, SHA-256 of the presented secret, one named prepared compare-and-set UPDATE ... RETURNING on bare_sessions (shaped like kit_sessions) through a pg.Pool, a new random secret, one ES256 RFC 9068 access token signed with node:crypto (the kit's claims), JSON answer with Content-Length; no grouping, no token tag, no reuse detection; each connection chains its own session",
        result: tokenResults.get(keys.tokenBare)!,
      },
      {
        key: keys.token,
        name: 'HTTP POST /token (rotation)',
        contains:
          'a keep-alive HTTP/1.1 load generator on 127.0.0.1 against createKitRoutes under @hono/node-server in a child process: form parsing, kit.refresh (the same UPDATE, ES256 signing), JSON token response; each connection chains its own session',
        result: tokenResults.get(keys.token)!,
      },
      {
        key: keys.tokenDpop,
        name: 'HTTP POST /token (DPoP)',
        contains:
          "as POST /token, on the kit's DPoP variant (a process of its own, dpop option with a memory replay cache: a single server): each connection chains a session bound at login to its own client's ES256 key, and sends a fresh proof (random jti, iat now, htu the URL) with every refresh, signed in the generator's process; the server verifies it (ES256 signature, RFC 7638 thumbprint, replay-cache insert), rotates only for the session's key, and signs an access token with cnf.jkt",
        result: tokenResults.get(keys.tokenDpop)!,
      },
    ];
    if (raw) {
      figures.push({
        key: keys.tokenRaw,
        name: 'rotation: raw pg, alternating with HTTP POST /token (earlier limit)',
        contains:
          'the raw rotation statement (as refresh.raw) in the bench process, measured in the HTTP POST /token rounds: no HTTP, no token crypto',
        result: raw.result(),
      });
    }

    // GET /me (the bare verifier and createBearerAuth, the same token) and /health.
    const access = await kit.call<string>('access');
    const me: Load = { get: '/me', headers: { authorization: `Bearer ${access}` } };
    // DPoP: one bound session per connection, each with its own client's key.
    const meDpopSessions = await dpopSessions(keys.meDpop, connections);
    const meDpop: Load = {
      get: '/me',
      dpop: {
        clients: keys.meDpop,
        tokens: meDpopSessions.map((session) => session.accessToken),
        url: DPOP_URLS.me,
      },
    };
    const variants: (Variant & { name: string; contains: string })[] = [
      {
        key: keys.meBare,
        name: 'HTTP GET /me: bare node:http + node:crypto (limit)',
        contains:
          'node:http server in a process of its own, header check, ES256 crypto.verify, exp/iss/aud, JSON claims; no framework',
        target: bareSide,
        load: me,
      },
      {
        key: keys.me,
        name: 'HTTP GET /me: createBearerAuth',
        contains:
          'Hono app under @hono/node-server, createBearerAuth({ kit }) (full RFC 9068 verification), c.json(claims)',
        target: kitSide,
        load: me,
      },
      {
        key: keys.meHono,
        name: 'HTTP GET /me: the bare verifier in Hono (framework floor)',
        contains:
          "the bare verifier's work (header check, ES256 crypto.verify, exp/iss/aud, JSON claims) in a Hono handler under @hono/node-server, in the bare server's process on a port of its own; no kit code",
        target: honoFloor,
        load: me,
      },
      {
        key: keys.health,
        name: 'HTTP GET /health: same app, no auth',
        contains:
          'the same Hono app and server, an unauthenticated route answering "ok": HTTP and routing alone',
        target: kitSide,
        load: { get: '/health' },
      },
      {
        key: keys.meDpop,
        name: 'HTTP GET /me (DPoP): createBearerAuth',
        contains:
          "as GET /me, on the kit's DPoP variant (createBearerAuth({ kit, dpop }) with a memory replay cache: a single server): each connection presents Authorization: DPoP with an access token bound to its own client's ES256 key and a fresh proof (random jti, iat now, htu the URL, ath of the token) signed in the generator's process; the server verifies the token, then the proof (ES256 signature, RFC 7638 thumbprint, ath, replay-cache insert) and the binding",
        target: dpopSide,
        load: meDpop,
      },
    ];
    for (const v of variants) await window(v.target, v.load, warmupSeconds);
    log(
      `measuring HTTP GET /me (bare node:http, createBearerAuth, the bare verifier in Hono, createBearerAuth with DPoP) and GET /health in ${rounds} alternating rounds`,
    );
    const meResults = await alternate(variants);
    for (const v of variants) {
      figures.push({ key: v.key, name: v.name, contains: v.contains, result: meResults.get(v.key)! });
    }
    return figures;
  } finally {
    await generator?.stop();
    await dpopKit?.stop();
    await bare?.stop();
    await kit.stop();
  }
}
