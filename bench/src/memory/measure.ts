/**
 * The memory bench: the resident set (RSS) of the demo server as `pnpm demo` starts it, idle and at
 * its peak under load, next to a minimal host, the bare token endpoint and two floors, and next to
 * the demo run without what its start script changes (apps/demo/scripts/start.mjs).
 *
 * Subjects (each a process of its own; the figure is the process that listens, found in /proc
 * below whatever started it):
 * - `demo`: `pnpm demo` from the repository root, exactly the README's command, on the bench's
 *   database (`DATABASE_URL`) with a `KIT_SECRET` and both rate limits raised out of the way (one
 *   client address sends everything; the limits are still counted in PostgreSQL on every request);
 * - `demo-js`: the same built server (apps/demo/dist/main.mjs) run by `node` without the start
 *   script's heap limit and malloc setting: what those gain;
 * - `demo-js-try`, only when named in `BENCH_MEMORY_SUBJECTS`: the server `pnpm demo` runs, with
 *   its malloc setting and the V8 flags of `BENCH_MEMORY_FLAGS` in place of the start script's
 *   (default `--max-old-space-size=1024 --max-semi-space-size=4`), to try flags against `demo`;
 * - `demo-tsx`: the demo's former start, `tsx --conditions=development src/main.ts`;
 * - `host`: the minimal host (memory/host.ts: Hono, `@kit/hono`, `@kit/core` on PostgreSQL);
 * - `bare`: the bare token endpoint and verifier of the HTTP figures (bare-server.ts);
 * - floors, idle only: `node` alone, and `orm` (memory/orm-floor.ts, the kit's ORM connected).
 * The host, the bare server and the ORM floor are built to JavaScript first (bench/tsdown.config.ts).
 *
 * One measurement: start it, wait `BENCH_MEMORY_SETTLE_SECONDS` (default 10) after it answers,
 * and take the median of the last five one-second samples of `VmRSS` as its idle RSS, with the
 * heap from `process.memoryUsage()` (a preload, probe.mjs, writes it on SIGUSR2). Then open 50
 * sessions (the demo through `POST /login`, the others through their parent channel), reset
 * `VmHWM`, and run the load of the issue: 15 s of `POST /token` on 50 connections, each chaining its
 * own session, then 10 s of `GET /me` on 64, with the bench's load generator in a process of its
 * own. The peak RSS is `VmHWM` after the load (and the largest `VmRSS` polled every 100 ms, when
 * the kernel refuses the reset); the heap is read again after the load.
 *
 * Each subject is measured `BENCH_MEMORY_RUNS` times (default 3), in rounds through every subject
 * whose order is reversed every other round; a figure is the median of its runs, with the range.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildProcess, startChildProcess } from '@kit/test-support/child-process';
import { positiveEnv } from '../env.ts';
import { type Generator, startChild } from '../http.ts';
import type { LoadResult } from '../load-generator.ts';
import { cpuSeconds, descendants, listeningPid, pollResidentSet, resetPeak, residentSet } from './proc.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const benchDir = fileURLToPath(new URL('../../', import.meta.url));
const demoDir = join(repoRoot, 'apps', 'demo');
const probe = fileURLToPath(new URL('./probe.mjs', import.meta.url));

/** The malloc setting apps/demo/scripts/start.mjs runs the demo with. */
const MALLOC = { MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * `BENCH_MEMORY_FLAGS` (space-separated), the V8 flags of `demo-js-try`; unset: the start script's
 * heap limit and a young generation bounded to 4 MiB semi-spaces (what it gains and costs:
 * docs/benchmarks.md, Memory).
 */
const tryFlags = () =>
  process.env.BENCH_MEMORY_FLAGS?.split(' ').filter(Boolean) ?? [
    '--max-old-space-size=1024',
    '--max-semi-space-size=4',
  ];

/** The load: 15 s of chained `POST /token` on 50 connections, then 10 s of `GET /me` on 64. */
export const MEMORY_LOAD = { tokenConnections: 50, tokenSeconds: 15, meConnections: 64, meSeconds: 10 };
/** The targets of the issue for `pnpm demo`'s server, in MiB. */
export const MEMORY_TARGETS = { idleMiB: 100, peakMiB: 140 };

/** The subjects, in the order of a round. */
export const MEMORY_SUBJECTS = [
  'demo',
  'demo-js',
  'demo-js-try',
  'demo-tsx',
  'host',
  'bare',
  'orm',
  'node',
] as const;
export type MemorySubject = (typeof MEMORY_SUBJECTS)[number];
/** The subjects measured when `BENCH_MEMORY_SUBJECTS` is unset: all but `demo-js-try`. */
export const DEFAULT_MEMORY_SUBJECTS = MEMORY_SUBJECTS.filter((s) => s !== 'demo-js-try');

/** One measurement of one subject. */
export interface MemoryRun {
  /** RSS after start-up settled, MiB. */
  idleRss: number;
  /** `heapUsed` and `heapTotal` at idle, MiB. */
  idleHeapUsed: number;
  idleHeapTotal: number;
  /** Peak RSS under the load, MiB (null for the floors, which get none). */
  peakRss: number | null;
  /** `heapUsed` right after the load, MiB. */
  loadHeapUsed: number | null;
  /** Requests per second of `POST /token` and `GET /me` under the load. */
  tokenPerSecond: number | null;
  mePerSecond: number | null;
  /**
   * The server process's CPU per request under each load, µs: steadier than requests per second
   * on a shared machine, where the load average moves the throughput of every subject.
   */
  tokenCpuMicros: number | null;
  meCpuMicros: number | null;
  /** RSS of every process the command started (pnpm, shells, the launcher, the server), idle, MiB. */
  treeIdleRss: number;
  /** Seconds from the spawn to the first answer. */
  startSeconds: number;
}

/** A subject's runs and their medians. */
export interface MemoryFigure {
  subject: MemorySubject;
  description: string;
  runs: MemoryRun[];
  median: MemoryRun;
}

/** What {@link measureMemory} reports. */
export interface MemoryReport {
  date: string;
  load: typeof MEMORY_LOAD;
  targets: typeof MEMORY_TARGETS;
  settleSeconds: number;
  /** Load average (1, 5, 15 min) at the start and at the end. */
  loadAverage: { start: number[]; end: number[] };
  figures: MemoryFigure[];
  /** Whether `pnpm demo`'s median idle and peak RSS meet the targets, and its throughput against `demo-tsx`. */
  verdict: {
    idle: boolean;
    peak: boolean;
    /** Requests per second, `pnpm demo` ÷ the former start (medians). */
    tokenThroughput: number | null;
    meThroughput: number | null;
    /** Server CPU per request, the former start ÷ `pnpm demo` (medians; above 1: the demo spends less). */
    tokenCpu: number | null;
    meCpu: number | null;
  };
}

const DESCRIPTIONS: Record<MemorySubject, string> = {
  demo: 'pnpm demo (the README command: build, then node --max-old-space-size=1024 dist/main.mjs with MALLOC_MMAP_THRESHOLD_)',
  'demo-js': 'the built demo (dist/main.mjs) on plain node: no V8 flag, no malloc setting',
  'demo-js-try': `the built demo with MALLOC_MMAP_THRESHOLD_ on node ${tryFlags().join(' ') || '(no flag)'} (BENCH_MEMORY_FLAGS)`,
  'demo-tsx': 'the former start: tsx --conditions=development src/main.ts',
  host: 'minimal host: Hono + @kit/hono + @kit/core on PostgreSQL, built, plain node',
  bare: 'bare token endpoint and verifier (bare-server.ts), built, plain node',
  orm: 'floor: node with the kit ORM connected (createKitOrm), built',
  node: 'floor: node alone (an idle timer)',
};

/** A started subject: what measuring it needs. */
interface Started {
  /** The server process (the one listening), whose memory is measured. */
  pid: number;
  /** The process that was spawned (pnpm, the launcher...), whose descendants include `pid`. */
  rootPid: number;
  port: number | null;
  startSeconds: number;
  /** Refresh tokens of `count` new sessions, and an access token. */
  sessions(count: number): Promise<{ refreshTokens: string[]; accessToken: string }>;
  stop(): Promise<void>;
}

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Environment of every subject: the probe preloaded, writing into `probeDir`. */
function probeEnv(probeDir: string): Record<string, string> {
  const inherited = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : '';
  return { NODE_OPTIONS: `${inherited}--import=${probe}`, BENCH_MEMORY_PROBE_DIR: probeDir };
}

/** The heap of `pid`, as its probe writes it on SIGUSR2. */
async function heapOf(pid: number, probeDir: string): Promise<NodeJS.MemoryUsage> {
  const file = join(probeDir, `${pid}.json`);
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as NodeJS.MemoryUsage;
    } catch {
      // not written yet
    }
  }
  throw new Error(`pid ${pid} wrote no memory figures (is the probe preloaded?)`);
}

/**
 * Starts a command that does not speak the child protocol (`pnpm demo`, tsx, node): ready once it
 * prints `listening on http://HOST:PORT`; its sessions come from `POST /login` as a user's do.
 */
async function startCommand(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<Started> {
  const startedAt = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(' ')} did not start`)), 120_000);
    const read = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then(() => {
      clearTimeout(timer);
      reject(
        new Error(
          `${command} ${args.join(' ')} exited before it was ready:\n${output.join('').slice(-2000)}`,
        ),
      );
    });
  });
  // Keep reading, so a full pipe never blocks the server's synchronous logging.
  child.stdout.on('data', () => undefined);
  const startSeconds = (performance.now() - startedAt) / 1000;
  const rootPid = child.pid!;
  const pid = listeningPid(rootPid, port);
  return {
    pid,
    rootPid,
    port,
    startSeconds,
    async sessions(count) {
      const login = async () => {
        const response = await fetch(`http://127.0.0.1:${port}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
        });
        if (response.status !== 200) throw new Error(`POST /login answered ${response.status}`);
        return (await response.json()) as { refresh_token: string; access_token: string };
      };
      // A few at a time, as several users logging in at once would.
      const answers: { refresh_token: string; access_token: string }[] = [];
      for (let i = 0; i < count; i += 4) {
        answers.push(...(await Promise.all(Array.from({ length: Math.min(4, count - i) }, login))));
      }
      return { refreshTokens: answers.map((a) => a.refresh_token), accessToken: answers[0]!.access_token };
    },
    async stop() {
      // The whole group: pnpm, its shell, the launcher and the server. The server drains and exits.
      try {
        process.kill(-rootPid, 'SIGTERM');
      } catch {
        // gone already
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-rootPid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts a built subject that speaks the child protocol (`@kit/test-support/child-process`). */
async function startBuilt(
  file: string,
  env: Record<string, string>,
  sessions: (
    child: ChildProcess<{ port?: number }>,
    count: number,
  ) => Promise<{ refreshTokens: string[]; accessToken: string }>,
): Promise<Started> {
  const startedAt = performance.now();
  const child = await startChildProcess<{ port?: number }>({
    entry: join(benchDir, 'dist', 'memory', file),
    name: `the memory bench's ${file}`,
    env,
    typescript: false,
  });
  return {
    pid: child.pid,
    rootPid: child.pid,
    port: child.ready.port ?? null,
    startSeconds: (performance.now() - startedAt) / 1000,
    sessions: (count) => sessions(child, count),
    stop: () => child.stop(),
  };
}

/** Builds the host, the bare server and the ORM floor to bench/dist/memory (bench/tsdown.config.ts). */
function buildSubjects(): void {
  const build = spawnSync(join(repoRoot, 'node_modules', '.bin', 'tsdown'), ['--logLevel', 'error'], {
    cwd: benchDir,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`building the memory bench's subjects failed:\n${build.stderr}`);
}

/** Everything a subject's start needs from the run. */
interface Context {
  databaseUrl: string;
  secret: string;
  probeDir: string;
  /** The host's verification key and one of its access tokens, for the bare server's `GET /me`. */
  hostTokens?: { verification: unknown; accessToken: string };
}

async function start(subject: MemorySubject, context: Context): Promise<Started> {
  const probed = probeEnv(context.probeDir);
  const demoEnv = {
    ...probed,
    DATABASE_URL: context.databaseUrl,
    KIT_SECRET: context.secret,
    HOST: '127.0.0.1',
    PORT: '0',
    KIT_RATE_LIMIT_LOGIN: '1000000',
    KIT_RATE_LIMIT_TOKEN: '1000000',
  };
  const built = join(demoDir, 'dist', 'main.mjs');
  switch (subject) {
    case 'demo':
      return startCommand('pnpm', ['demo'], { cwd: repoRoot, env: demoEnv });
    case 'demo-js':
      return startCommand(process.execPath, [built], { cwd: demoDir, env: demoEnv });
    case 'demo-js-try':
      return startCommand(process.execPath, [...tryFlags(), built], {
        cwd: demoDir,
        env: { ...demoEnv, ...MALLOC },
      });
    case 'demo-tsx':
      return startCommand(
        process.execPath,
        [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--conditions=development', 'src/main.ts'],
        { cwd: demoDir, env: demoEnv },
      );
    case 'host':
      return startBuilt(
        'host.mjs',
        { ...probed, BENCH_MEMORY_DATABASE_URL: context.databaseUrl },
        async (child, count) => {
          const accessToken = await child.call<string>('access');
          // The bare server's GET /me verifies this host's tokens with its public key.
          context.hostTokens = { verification: await child.call('verification'), accessToken };
          return { refreshTokens: await child.call<string[]>('sessions', { count }), accessToken };
        },
      );
    case 'bare': {
      if (!context.hostTokens)
        throw new Error('the bare server is measured after the host (it verifies its tokens)');
      const { verification, accessToken } = context.hostTokens;
      return startBuilt(
        'bare-server.mjs',
        {
          ...probed,
          BENCH_BARE_DATABASE_URL: context.databaseUrl,
          BENCH_BARE_POOL_SIZE: '10',
          BENCH_BARE_VERIFY: JSON.stringify(verification),
        },
        async (child, count) => ({
          refreshTokens: await child.call<string[]>('sessions', { count }),
          accessToken,
        }),
      );
    }
    case 'orm':
      return startBuilt(
        'orm-floor.mjs',
        { ...probed, BENCH_MEMORY_DATABASE_URL: context.databaseUrl },
        () => {
          throw new Error('the ORM floor serves nothing');
        },
      );
    case 'node':
      return startCommand(
        process.execPath,
        [
          '-e',
          "require('node:http').createServer().listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); })",
        ],
        { cwd: repoRoot, env: probed },
      );
  }
}

/** RSS of `root` and every descendant, MiB. */
function treeRss(root: number): number {
  let total = 0;
  for (const pid of [root, ...descendants(root)]) {
    try {
      total += residentSet(pid).rss;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** One measurement of `subject` (see the module comment). */
async function measureOnce(
  subject: MemorySubject,
  context: Context,
  generator: Generator,
  settleSeconds: number,
  log: (line: string) => void,
): Promise<MemoryRun> {
  const started = await start(subject, context);
  try {
    const samples: number[] = [];
    for (let s = 0; s < settleSeconds; s++) {
      await sleep(1000);
      samples.push(residentSet(started.pid).rss);
    }
    const idleRss = median(samples.slice(-5));
    const treeIdleRss = treeRss(started.rootPid);
    const idleHeap = await heapOf(started.pid, context.probeDir);
    const run: MemoryRun = {
      idleRss,
      idleHeapUsed: idleHeap.heapUsed / MiB,
      idleHeapTotal: idleHeap.heapTotal / MiB,
      peakRss: null,
      loadHeapUsed: null,
      tokenPerSecond: null,
      mePerSecond: null,
      tokenCpuMicros: null,
      meCpuMicros: null,
      treeIdleRss,
      startSeconds: started.startSeconds,
    };
    if (subject === 'orm' || subject === 'node' || started.port === null) return run;

    const { refreshTokens, accessToken } = await started.sessions(MEMORY_LOAD.tokenConnections);
    const chain = `memory-${subject}-${randomBytes(4).toString('hex')}`;
    await generator.call('chains', { name: chain, tokens: refreshTokens });
    const reset = resetPeak(started.pid);
    const poll = pollResidentSet(started.pid);
    const cpuBefore = cpuSeconds(started.pid);
    const token = await generator.call<LoadResult>('load', {
      port: started.port,
      connections: MEMORY_LOAD.tokenConnections,
      seconds: MEMORY_LOAD.tokenSeconds,
      chain,
    });
    const cpuBetween = cpuSeconds(started.pid);
    const me = await generator.call<LoadResult>('load', {
      port: started.port,
      connections: MEMORY_LOAD.meConnections,
      seconds: MEMORY_LOAD.meSeconds,
      get: '/me',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const cpuAfter = cpuSeconds(started.pid);
    const polled = poll.stop();
    if (token.failed > 0 || me.failed > 0) {
      throw new Error(`${subject}: ${token.failed + me.failed} answers failed their check under load`);
    }
    const peakRss = reset ? Math.max(residentSet(started.pid).hwm, polled) : polled;
    const loadHeap = await heapOf(started.pid, context.probeDir);
    log(
      `memory: ${subject}: idle ${idleRss.toFixed(1)} MiB, peak ${peakRss.toFixed(1)} MiB, ${(token.ok / token.seconds).toFixed(0)} /token/s, ${(me.ok / me.seconds).toFixed(0)} /me/s`,
    );
    return {
      ...run,
      peakRss,
      loadHeapUsed: loadHeap.heapUsed / MiB,
      tokenPerSecond: token.ok / token.seconds,
      mePerSecond: me.ok / me.seconds,
      // The windows' in-flight tails are counted in the CPU, not in ok: a bias of under 1%.
      tokenCpuMicros: ((cpuBetween - cpuBefore) / token.ok) * 1e6,
      meCpuMicros: ((cpuAfter - cpuBetween) / me.ok) * 1e6,
    };
  } finally {
    await started.stop();
  }
}

/**
 * Measures every subject in `subjects` (default: all) `BENCH_MEMORY_RUNS` times in alternating
 * rounds on `databaseUrl` (migrated: the demo migrates it anyway) and returns the report.
 */
export async function measureMemory(options: {
  databaseUrl: string;
  log: (line: string) => void;
  subjects?: readonly MemorySubject[];
}): Promise<MemoryReport> {
  const { log } = options;
  const runs = Math.max(1, Math.round(positiveEnv('BENCH_MEMORY_RUNS', 3)));
  const settleSeconds = Math.max(5, Math.round(positiveEnv('BENCH_MEMORY_SETTLE_SECONDS', 10)));
  const subjects = options.subjects ?? DEFAULT_MEMORY_SUBJECTS;
  const loadAverageStart = loadavg();
  buildSubjects();
  const probeDir = mkdtempSync(join(tmpdir(), 'kit-bench-memory-'));
  const context: Context = {
    databaseUrl: options.databaseUrl,
    secret: randomBytes(32).toString('base64url'),
    probeDir,
  };
  const generator = await startChild('./load-process.ts', 'load generator', {});
  const results = new Map<MemorySubject, MemoryRun[]>(subjects.map((s) => [s, []]));
  try {
    // The demo first in the first round: its start script builds dist/main.mjs, which the demo-js
    // subjects run. The bare server after the host in the first round: its GET /me verifies
    // the host's tokens (with the host's public key, kept for the later rounds).
    const ordered = [...subjects].sort((a, b) => MEMORY_SUBJECTS.indexOf(a) - MEMORY_SUBJECTS.indexOf(b));
    for (let round = 0; round < runs; round++) {
      const inRound = round % 2 === 0 ? ordered : [...ordered].reverse();
      for (const subject of inRound) {
        log(`memory: round ${round + 1}/${runs}: ${subject}`);
        results.get(subject)!.push(await measureOnce(subject, context, generator, settleSeconds, log));
      }
    }
  } finally {
    await generator.stop();
    rmSync(probeDir, { recursive: true, force: true });
  }
  const figures: MemoryFigure[] = subjects.map((subject) => {
    const list = results.get(subject)!;
    const pick = (key: keyof MemoryRun) => {
      const values = list.map((r) => r[key]).filter((v): v is number => v !== null);
      return values.length === 0 ? null : median(values);
    };
    const median_: MemoryRun = {
      idleRss: pick('idleRss')!,
      idleHeapUsed: pick('idleHeapUsed')!,
      idleHeapTotal: pick('idleHeapTotal')!,
      peakRss: pick('peakRss'),
      loadHeapUsed: pick('loadHeapUsed'),
      tokenPerSecond: pick('tokenPerSecond'),
      mePerSecond: pick('mePerSecond'),
      tokenCpuMicros: pick('tokenCpuMicros'),
      meCpuMicros: pick('meCpuMicros'),
      treeIdleRss: pick('treeIdleRss')!,
      startSeconds: pick('startSeconds')!,
    };
    return { subject, description: DESCRIPTIONS[subject], runs: list, median: median_ };
  });
  const demo = figures.find((f) => f.subject === 'demo')?.median;
  const before = figures.find((f) => f.subject === 'demo-tsx')?.median;
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a != null && b != null && b > 0 ? a / b : null;
  return {
    date: new Date().toISOString(),
    load: MEMORY_LOAD,
    targets: MEMORY_TARGETS,
    settleSeconds,
    loadAverage: { start: loadAverageStart, end: loadavg() },
    figures,
    verdict: {
      idle: demo !== undefined && demo.idleRss <= MEMORY_TARGETS.idleMiB,
      peak: demo?.peakRss != null && demo.peakRss <= MEMORY_TARGETS.peakMiB,
      tokenThroughput: ratio(demo?.tokenPerSecond, before?.tokenPerSecond),
      meThroughput: ratio(demo?.mePerSecond, before?.mePerSecond),
      tokenCpu: ratio(before?.tokenCpuMicros, demo?.tokenCpuMicros),
      meCpu: ratio(before?.meCpuMicros, demo?.meCpuMicros),
    },
  };
}

/** The report as a table: medians, with each figure's range over its runs. */
export function formatMemoryReport(report: MemoryReport): string {
  const range = (figure: MemoryFigure, key: keyof MemoryRun, digits = 0) => {
    const values = figure.runs.map((r) => r[key]).filter((v): v is number => v !== null);
    if (values.length === 0) return '-';
    const m = median(values).toFixed(digits);
    return values.length === 1
      ? m
      : `${m} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`;
  };
  const rows = [
    [
      'subject',
      'idle RSS MiB',
      'peak RSS MiB',
      'heap idle',
      'heap after load',
      '/token/s',
      '/me/s',
      'tree idle MiB',
    ],
  ];
  for (const f of report.figures) {
    rows.push([
      f.subject,
      range(f, 'idleRss'),
      range(f, 'peakRss'),
      range(f, 'idleHeapUsed'),
      range(f, 'loadHeapUsed'),
      range(f, 'tokenPerSecond'),
      range(f, 'tokenCpuMicros'),
      range(f, 'mePerSecond'),
      range(f, 'meCpuMicros'),
      range(f, 'treeIdleRss'),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
  const v = report.verdict;
  const ratio = (r: number | null) => (r === null ? '-' : r.toFixed(3));
  lines.push(
    '',
    `pnpm demo: idle ${v.idle ? 'met' : 'MISSED'} (target <= ${report.targets.idleMiB} MiB), peak ${v.peak ? 'met' : 'MISSED'} (target <= ${report.targets.peakMiB} MiB); against the former start: throughput /token ${ratio(v.tokenThroughput)}, /me ${ratio(v.meThroughput)}; CPU per request (former ÷ demo) /token ${ratio(v.tokenCpu)}, /me ${ratio(v.meCpu)}`,
    `load average ${report.loadAverage.start.map((l) => l.toFixed(2)).join(' ')} at start, ${report.loadAverage.end.map((l) => l.toFixed(2)).join(' ')} at end; ${report.figures[0]?.runs.length ?? 0} runs per subject`,
  );
  for (const f of report.figures) lines.push(`  ${f.subject}: ${f.description}`);
  return lines.join('\n');
}
