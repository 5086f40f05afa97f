/**
 * HTTP benchmarks of `@kit/hono` on 127.0.0.1 with a load generator (autocannon), in the same run
 * as the raw `pg` rotation figure they are compared with:
 *
 * - `POST /token`: refresh rotations per second at 16 connections, each connection chaining its
 *   own session (every request presents the refresh token the previous response returned), with
 *   p50/p99 latency. Compared with the raw `pg` rotation statement at 16 callers.
 * - `GET /me` behind `createBearerAuth`: requests per second with one token, next to
 *   `GET /health` (an unauthenticated route of the same app: the cost of Hono and HTTP alone) and
 *   next to a bare `node:http` server verifying the same token with `node:crypto` (the limit).
 *
 * The servers run in a child process (http-server.ts) so the load generator never shares their
 * event loop; "node cpu" and "ELU" of these figures are the server process's. Every response is
 * checked: a non-2xx answer fails the run instead of being counted as throughput.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';
import type { RunResult } from './harness.ts';
import { machineTicks } from './harness.ts';

/** One HTTP figure, shaped like the other figures of the report. */
export interface HttpFigure {
  key: string;
  name: string;
  contains: string;
  result: RunResult;
}

interface Server {
  kitUrl: string;
  bareUrl: string;
  call<T>(type: string, extra?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

async function startServer(databaseUrl: string, poolSize: number): Promise<Server> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./http-server.ts', import.meta.url)), [], {
    execArgv: [
      '--conditions=development',
      '--import',
      'tsx',
      ...(process.env.BENCH_HTTP_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_HTTP_PROFILE}`]
        : []),
    ],
    env: { ...process.env, BENCH_HTTP_DATABASE_URL: databaseUrl, BENCH_HTTP_POOL_SIZE: String(poolSize) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 0;
  const pending = new Map<number, (value: unknown) => void>();
  const ready = new Promise<{ kitPort: number; barePort: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the HTTP bench server exited (${code})`)));
    child.on(
      'message',
      (message: { type?: string; id?: number; value?: unknown; kitPort?: number; barePort?: number }) => {
        if (message.type === 'ready') resolve({ kitPort: message.kitPort!, barePort: message.barePort! });
        else if (message.id !== undefined) pending.get(message.id)?.(message.value);
      },
    );
  });
  const { kitPort, barePort } = await ready;
  return {
    kitUrl: `http://127.0.0.1:${kitPort}`,
    bareUrl: `http://127.0.0.1:${barePort}`,
    call<T>(type: string, extra: Record<string, unknown> = {}) {
      const id = next++;
      return new Promise<T>((resolve) => {
        pending.set(id, (value) => resolve(value as T));
        child.send({ type, id, ...extra });
      });
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop', id: next++ });
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

type Stats = { cpu: NodeJS.CpuUsage; elu: { idle: number; active: number } };

/** One autocannon window, with the server's CPU and event-loop counters around it. */
async function measure(
  server: Server,
  options: { url: string; connections: number; seconds: number; requests: AutocannonRequest[] },
  failures: { count: number },
): Promise<RunResult> {
  const before = await server.call<Stats>('stats');
  const ticksBefore = machineTicks();
  const result: AutocannonResult = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests: options.requests,
    timeout: 10,
  });
  const ticksAfter = machineTicks();
  const after = await server.call<Stats>('stats');
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0 || failures.count > 0) {
    throw new Error(
      `HTTP bench against ${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${failures.count} failed checks`,
    );
  }
  const seconds = result.duration;
  const operations = result['2xx'];
  const cpuSeconds = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1e6;
  const active = after.elu.active - before.elu.active;
  const total = active + after.elu.idle - before.elu.idle;
  const cpus = (await import('node:os')).cpus().length;
  return {
    concurrency: options.connections,
    operations,
    seconds,
    rounds: 1,
    opsPerSecond: operations / seconds,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    processCpuCores: cpuSeconds / seconds,
    processCpuMicrosPerOp: operations === 0 ? Number.NaN : (cpuSeconds / operations) * 1e6,
    eventLoopUtilization: total === 0 ? 0 : active / total,
    machineCpuCores:
      ticksBefore && ticksAfter && ticksAfter.total > ticksBefore.total
        ? ((ticksAfter.busy - ticksBefore.busy) / (ticksAfter.total - ticksBefore.total)) * cpus
        : null,
  };
}

/**
 * Autocannon resets a connection's `context` whenever it wraps around its list of requests. The
 * list is therefore one request object repeated more often than a connection sends in a run
 * (about 1,000 at 16 connections here), so the context (the session's current refresh token)
 * normally lasts the whole run: each connection chains its own session, as a real client does. A
 * connection that does wrap takes a fresh session from the pool. (Much longer lists cost
 * autocannon seconds of set-up per connection, inside the measured time.)
 */
const NO_WRAP = 20_000;

function tokenRequests(pool: string[], failures: { count: number }): AutocannonRequest[] {
  const request: AutocannonRequest = {
    method: 'POST',
    path: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest(req, context) {
      if (context.token === undefined) {
        const token = pool.pop();
        if (token === undefined) throw new Error('the HTTP bench ran out of sessions');
        context.token = token;
      }
      return { ...req, body: `grant_type=refresh_token&refresh_token=${context.token as string}` };
    },
    onResponse(status, body, context) {
      if (status !== 200) {
        failures.count++;
        return;
      }
      context.token = (JSON.parse(body) as { refresh_token: string }).refresh_token;
    },
  };
  return new Array<AutocannonRequest>(NO_WRAP).fill(request);
}

/**
 * Rounds of one figure combined: throughput over the total time; latency p50 the median of the
 * rounds' p50s, p99 and max the worst round's (autocannon reports percentiles per run).
 */
function combine(windows: readonly RunResult[]): RunResult {
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
  log: (line: string) => void;
}): Promise<HttpFigure[]> {
  const { connections, warmupSeconds, benchSeconds, log } = options;
  const rounds = Math.max(1, options.rounds);
  const server = await startServer(options.databaseUrl, options.poolSize);
  try {
    const figures: HttpFigure[] = [];

    // /token: fresh sessions for the warm-up and for the measured window.
    log(`measuring HTTP POST /token at ${connections} connections, each chaining its own session`);
    const failures = { count: 0 };
    const warm = await server.call<string[]>('sessions', { count: connections * 4 });
    await measure(
      server,
      { url: server.kitUrl, connections, seconds: warmupSeconds, requests: tokenRequests(warm, failures) },
      failures,
    );
    const pool = await server.call<string[]>('sessions', { count: connections * 4 });
    figures.push({
      key: `http.token@${connections}`,
      name: 'HTTP POST /token (rotation)',
      contains:
        'autocannon on 127.0.0.1 against createKitRoutes under @hono/node-server in a child process: form parsing, kit.refresh (the same UPDATE, ES256 signing), JSON token response; each connection chains its own session',
      result: await measure(
        server,
        { url: server.kitUrl, connections, seconds: benchSeconds, requests: tokenRequests(pool, failures) },
        failures,
      ),
    });

    // /me, /health and the bare server, each warmed up, then measured in turn.
    const token = await server.call<string>('access');
    const meRequests = (failuresOf: { count: number }): AutocannonRequest[] => [
      {
        method: 'GET',
        path: '/me',
        headers: { authorization: `Bearer ${token}` },
        onResponse: (status) => {
          if (status !== 200) failuresOf.count++;
        },
      },
    ];
    const variants = [
      {
        key: `http.me-bare@${connections}`,
        name: 'HTTP GET /me: bare node:http + node:crypto (limit)',
        contains:
          'node:http server, header check, ES256 crypto.verify, exp/iss/aud, JSON claims; no framework',
        url: server.bareUrl,
        requests: meRequests,
      },
      {
        key: `http.me@${connections}`,
        name: 'HTTP GET /me: createBearerAuth',
        contains:
          'Hono app under @hono/node-server, createBearerAuth({ kit }) (full RFC 9068 verification), c.json(claims)',
        url: server.kitUrl,
        requests: meRequests,
      },
      {
        key: `http.health@${connections}`,
        name: 'HTTP GET /health: same app, no auth',
        contains:
          'the same Hono app and server, an unauthenticated route answering "ok": HTTP and routing alone',
        url: server.kitUrl,
        requests: (f: { count: number }): AutocannonRequest[] => [
          { method: 'GET', path: '/health', onResponse: (status) => void (status !== 200 && f.count++) },
        ],
      },
    ];
    // Warm-up, then alternating rounds (as the rest of the bench does), so load from outside the
    // run weighs on the three alike.
    const windows = new Map<string, RunResult[]>(variants.map((v) => [v.key, []]));
    for (const v of variants) {
      const f = { count: 0 };
      await measure(server, { url: v.url, connections, seconds: warmupSeconds, requests: v.requests(f) }, f);
    }
    log(
      `measuring HTTP GET /me (bare node:http, createBearerAuth) and GET /health in ${rounds} alternating rounds`,
    );
    for (let round = 0; round < rounds; round++) {
      for (const v of variants) {
        const f = { count: 0 };
        windows
          .get(v.key)!
          .push(
            await measure(
              server,
              { url: v.url, connections, seconds: benchSeconds / rounds, requests: v.requests(f) },
              f,
            ),
          );
      }
    }
    for (const v of variants) {
      figures.push({ key: v.key, name: v.name, contains: v.contains, result: combine(windows.get(v.key)!) });
    }
    return figures;
  } finally {
    await server.stop();
  }
}
