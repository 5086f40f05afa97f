/**
 * The measuring loop shared by every benchmark.
 *
 * N callers run concurrently, each awaiting its own operation in a loop (a closed system, like N
 * clients each with one request in flight). A phase has a warm-up (connections opened,
 * statements prepared, JIT warm) whose operations are not counted, then a measured window of
 * fixed length. Throughput is the number of operations that completed inside the window divided
 * by its length; latency is recorded for those same operations.
 *
 * Phases are decided by reading the clock when an operation completes, not by timers, so a loop
 * whose operations resolve without yielding to the event loop cannot overrun its window.
 *
 * A figure and its limit are measured interleaved ({@link interleave}): the measured time of each
 * is cut into rounds that alternate (limit, kit, limit, kit, ...). A machine shared with other
 * work, a disk that slows down, a table that bloats or autovacuum kicking in then weigh on both
 * sides alike instead of on whichever happened to run at the wrong moment.
 */

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { quantile } from './quantile.ts';

/** One operation of one caller. It keeps its own state (for example the refresh token to use next). */
export type Operation = () => Promise<void>;

/** Prepares caller `i` (for example opens its session), before any clock starts. */
export type MakeOperation = (caller: number) => Promise<Operation> | Operation;

export interface RunSettings {
  /** Concurrent callers. */
  concurrency: number;
  /** Milliseconds of warm-up, not counted. */
  warmupMs: number;
  /** Milliseconds measured (in total, over all rounds). */
  durationMs: number;
  /** Called each time a measured window opens (to reset counters of an instrumented run). */
  onMeasureStart?: () => void;
}

export interface LatencySummary {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface RunResult {
  concurrency: number;
  /** Operations completed inside the measured windows. */
  operations: number;
  /** Total length of the measured windows, seconds. */
  seconds: number;
  /** How many interleaved rounds the measured time was cut into. */
  rounds: number;
  opsPerSecond: number;
  /** Per-operation latency in milliseconds. */
  latencyMs: LatencySummary;
  /**
   * CPU time of this Node process (all threads: main thread, libuv pool, GC) per wall-clock
   * second of the windows: 1.0 is one core fully busy. It shows how much of the machine the
   * client side uses; PostgreSQL's own processes are not included.
   */
  processCpuCores: number;
  /** CPU time of this Node process per operation, microseconds: the client-side cost of one. */
  processCpuMicrosPerOp: number;
  /**
   * Event-loop utilisation of the main thread in the windows (0..1). Close to 1 means the main
   * thread, not the database, is the bottleneck.
   */
  eventLoopUtilization: number;
  /**
   * CPU of the whole machine in use during the windows, in cores (Linux `/proc/stat`; `null`
   * elsewhere). Minus `processCpuCores` it is PostgreSQL (when local) plus anything else running:
   * other work on a shared machine shows up here.
   */
  machineCpuCores: number | null;
  /**
   * HTTP figures only: CPU of the load generator per request, microseconds. The generator runs
   * on the same cores as the server, so this is CPU the server did not have.
   */
  generatorCpuMicrosPerOp?: number;
}

const cpuCount = cpus().length;

/** Busy and total jiffies of the machine (first line of /proc/stat), or undefined off Linux. */
export function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Raw outcome of one measured window. */
interface Window {
  samples: number[];
  seconds: number;
  cpuSeconds: number;
  eluActiveMs: number;
  eluTotalMs: number;
  /** Machine busy CPU-seconds in the window, when known. */
  machineCpuSeconds: number | undefined;
}

async function prepare(concurrency: number, makeOperation: MakeOperation): Promise<Operation[]> {
  const operations: Operation[] = [];
  for (let caller = 0; caller < concurrency; caller++) operations.push(await makeOperation(caller));
  return operations;
}

/** Runs prepared callers through one warm-up and one measured window. */
async function runWindow(
  operations: readonly Operation[],
  warmupMs: number,
  durationMs: number,
  onMeasureStart: (() => void) | undefined,
): Promise<Window> {
  const start = performance.now();
  const measureStart = start + warmupMs;
  const measureEnd = measureStart + durationMs;
  const samples: number[][] = operations.map(() => []);
  let opened = false;
  let cpuAtOpen = process.cpuUsage();
  let eluAtOpen = performance.eventLoopUtilization();
  let ticksAtOpen = machineTicks();
  let stopped = false;
  let failure: { error: unknown } | undefined;

  const openWindow = () => {
    opened = true;
    cpuAtOpen = process.cpuUsage();
    eluAtOpen = performance.eventLoopUtilization();
    ticksAtOpen = machineTicks();
    onMeasureStart?.();
  };

  const loops = operations.map(async (operation, caller) => {
    const mine = samples[caller]!;
    while (!stopped) {
      const began = performance.now();
      try {
        await operation();
      } catch (error) {
        // A failing operation makes the figures meaningless: stop everybody and report it.
        failure ??= { error };
        stopped = true;
        return;
      }
      const ended = performance.now();
      if (ended >= measureEnd) {
        stopped = true;
      } else if (ended >= measureStart) {
        if (!opened) openWindow();
        mine.push(ended - began);
      }
    }
  });
  await Promise.all(loops);
  if (failure) throw failure.error;
  if (!opened) openWindow(); // no completion inside the window at all (absurdly slow operation)

  const cpu = process.cpuUsage(cpuAtOpen);
  const elu = performance.eventLoopUtilization(eluAtOpen);
  const ticks = machineTicks();
  const seconds = durationMs / 1000;
  // Jiffies are per CPU: busy / total is the busy fraction of all CPUs together.
  const machineCpuSeconds =
    ticks && ticksAtOpen && ticks.total > ticksAtOpen.total
      ? ((ticks.busy - ticksAtOpen.busy) / (ticks.total - ticksAtOpen.total)) * cpuCount * seconds
      : undefined;
  return {
    samples: samples.flat(),
    seconds,
    machineCpuSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    eluActiveMs: elu.active,
    eluTotalMs: elu.idle + elu.active,
  };
}

function combine(concurrency: number, windows: readonly Window[]): RunResult {
  const all = Float64Array.from(windows.flatMap((w) => w.samples));
  const seconds = windows.reduce((sum, w) => sum + w.seconds, 0);
  const cpuSeconds = windows.reduce((sum, w) => sum + w.cpuSeconds, 0);
  const eluActive = windows.reduce((sum, w) => sum + w.eluActiveMs, 0);
  const eluTotal = windows.reduce((sum, w) => sum + w.eluTotalMs, 0);
  const machine = windows.every((w) => w.machineCpuSeconds !== undefined)
    ? windows.reduce((sum, w) => sum + (w.machineCpuSeconds ?? 0), 0) / seconds
    : null;
  return {
    concurrency,
    operations: all.length,
    seconds,
    rounds: windows.length,
    opsPerSecond: all.length / seconds,
    latencyMs: summarise(all),
    processCpuCores: cpuSeconds / seconds,
    processCpuMicrosPerOp: all.length === 0 ? Number.NaN : (cpuSeconds / all.length) * 1e6,
    eventLoopUtilization: eluTotal === 0 ? 0 : eluActive / eluTotal,
    machineCpuCores: machine,
  };
}

/** Runs one benchmark alone: `concurrency` callers, one warm-up, one measured window. */
export async function run(settings: RunSettings, makeOperation: MakeOperation): Promise<RunResult> {
  const operations = await prepare(settings.concurrency, makeOperation);
  const window = await runWindow(operations, settings.warmupMs, settings.durationMs, settings.onMeasureStart);
  return combine(settings.concurrency, [window]);
}

/** Warm-up before every round but the first: pools and statements are already warm by then. */
const REWARM_MS = 300;

/**
 * One variant's callers, prepared once, measured in as many windows as the caller asks for, so
 * its rounds can alternate with other work (another variant, or a figure measured elsewhere, such
 * as an HTTP load). A caller's chain of refresh tokens continues across windows. The first window
 * has the full warm-up, later ones a short one.
 */
export interface Rounds {
  /** Measures one more window of `durationMs`. */
  window(durationMs: number): Promise<void>;
  /** The windows so far, combined. */
  result(): RunResult;
}

/** Prepares one variant's callers once, for windows measured whenever the caller asks (see {@link Rounds}). */
export async function prepareRounds(settings: RunSettings, makeOperation: MakeOperation): Promise<Rounds> {
  const operations = await prepare(settings.concurrency, makeOperation);
  const windows: Window[] = [];
  return {
    async window(durationMs) {
      const warmupMs = windows.length === 0 ? settings.warmupMs : Math.min(settings.warmupMs, REWARM_MS);
      windows.push(await runWindow(operations, warmupMs, durationMs, settings.onMeasureStart));
    },
    result: () => combine(settings.concurrency, windows),
  };
}

/**
 * Measures several variants of one operation in alternating rounds, each variant getting
 * `durationMs` of measured time in total, cut into `rounds` equal windows (see {@link Rounds}).
 */
export async function interleave<K extends string>(
  settings: RunSettings & { rounds: number },
  variants: readonly { key: K; makeOperation: MakeOperation }[],
): Promise<Map<K, RunResult>> {
  const prepared: { key: K; rounds: Rounds }[] = [];
  for (const variant of variants) {
    prepared.push({ key: variant.key, rounds: await prepareRounds(settings, variant.makeOperation) });
  }
  for (let round = 0; round < settings.rounds; round++) {
    for (const variant of prepared) await variant.rounds.window(settings.durationMs / settings.rounds);
  }
  return new Map(prepared.map((v) => [v.key, v.rounds.result()]));
}

function summarise(values: Float64Array): LatencySummary {
  if (values.length === 0) return { mean: Number.NaN, p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  values.sort();
  let sum = 0;
  for (const value of values) sum += value;
  return {
    mean: sum / values.length,
    p50: quantile(values, 0.5),
    p99: quantile(values, 0.99),
    max: values[values.length - 1]!,
  };
}
