import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type { RefreshBreakdown } from './breakdown.ts';
import { renderChart } from './chart.ts';
import type { RunResult } from './harness.ts';
import type { TelemetryPhase, TelemetrySummary } from './telemetry-cost.ts';

/** One measured figure with its name and what it contains. */
export interface Figure {
  key: string;
  name: string;
  /** What the figure includes, in words: it travels with the number into the JSON. */
  contains: string;
  result: RunResult;
}

/** A figure of the kit divided by its physical limit. */
export interface Comparison {
  name: string;
  subject: string;
  limit: string;
  /**
   * `throughput` (the default when absent): the subject's ops/s divided by the limit's. `cpu`: the
   * limit's CPU per operation divided by the subject's (below 1: the subject costs more CPU).
   */
  basis?: 'throughput' | 'cpu';
  ratio: number;
  /** `null`: informational, no target. */
  target: number | null;
  pass: boolean | null;
}

export function compare(
  figures: ReadonlyMap<string, Figure>,
  name: string,
  subject: string,
  limit: string,
  target: number | null,
  basis: 'throughput' | 'cpu' = 'throughput',
): Comparison {
  const a = figures.get(subject);
  const b = figures.get(limit);
  if (!a || !b) throw new Error(`No figure ${a ? limit : subject} to compare.`);
  const ratio =
    basis === 'cpu'
      ? b.result.processCpuMicrosPerOp / a.result.processCpuMicrosPerOp
      : a.result.opsPerSecond / b.result.opsPerSecond;
  const pass = target === null ? null : ratio >= target;
  return { name, subject, limit, ...(basis === 'cpu' ? { basis } : {}), ratio, target, pass };
}

export interface Report {
  date: string;
  settings: { benchSeconds: number; warmupSeconds: number; rounds: number; poolSize: number };
  machine: {
    cpuModel: string;
    cpuCount: number;
    totalMemoryBytes: number;
    platform: string;
    release: string;
    node: string;
    loadAverageAtStart: number[];
    /** Set when the run ends: a high value means other work shared the machine. */
    loadAverageAtEnd?: number[];
  };
  software: Record<string, string>;
  database: { source: string; version: string; settings: Record<string, string> };
  figures: Record<string, { name: string; contains: string } & RunResult>;
  comparisons: Comparison[];
  refreshBreakdown: RefreshBreakdown[];
  /** The OpenTelemetry SDK of the telemetry figures, and what it received per request. */
  openTelemetry?: TelemetrySummary;
  /** Size of the edge verifier bundled with esbuild (minified, and gzip level 9). */
  verifierBundle?: { entry: string; bytes: number; gzipBytes: number }[];
  targetsMissed: string[];
}

/** Machine facts recorded with every result. */
export function machineInfo(): Report['machine'] {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryBytes: os.totalmem(),
    platform: os.platform(),
    release: os.release(),
    node: process.version,
    loadAverageAtStart: os.loadavg(),
  };
}

/** Version of a package as resolved from `from` (a file path or URL): the copy actually loaded. */
function resolvedVersion(name: string, from: string): string {
  try {
    let dir = dirname(createRequire(from).resolve(name));
    for (;;) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === name) return pkg.version ?? 'unknown';
      } catch {
        // no package.json here: keep climbing
      }
      const parent = dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  } catch {
    return 'unknown';
  }
}

/**
 * Versions of what each side runs on. The raw loop uses the bench's `pg`; the kit's ORM uses the
 * `pg` that `@mikro-orm/postgresql` pins, which may differ.
 */
export function softwareInfo(): Record<string, string> {
  const here = import.meta.url;
  const orm = createRequire(here).resolve('@mikro-orm/postgresql');
  const knexDriver = createRequire(orm).resolve('@mikro-orm/knex');
  return {
    'pg (raw loop)': resolvedVersion('pg', here),
    'pg (kit ORM)': resolvedVersion('pg', orm),
    knex: resolvedVersion('knex', knexDriver),
    '@mikro-orm/postgresql': resolvedVersion('@mikro-orm/postgresql', here),
    // The kit's own copy (it imports keys and, off Node, signs through it).
    jose: resolvedVersion('jose', createRequire(here).resolve('@kit/core/package.json')),
  };
}

const fmt = {
  ops: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => (Number.isFinite(n) ? (n < 1 ? n.toFixed(3) : n.toFixed(2)) : '-'),
  ratio: (n: number) => n.toFixed(3),
  cores: (n: number) => n.toFixed(2),
};

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The table printed at the end of a run: every figure, and for a figure of the kit its ratio to
 * its physical limit, the target and whether it was met.
 */
export function formatReport(report: Report): string {
  // A figure compared more than once shows its first comparison (the one with the target).
  const byComparison = new Map<string, Comparison>();
  for (const c of report.comparisons) if (!byComparison.has(c.subject)) byComparison.set(c.subject, c);
  const limits = new Set(report.comparisons.map((c) => c.limit));
  const rows = Object.entries(report.figures).map(([key, f]) => {
    const c = byComparison.get(key);
    const verdict =
      c === undefined
        ? limits.has(key)
          ? 'limit'
          : ''
        : c.pass === null
          ? 'info'
          : c.pass
            ? 'PASS'
            : 'MISS';
    return [
      f.name,
      String(f.concurrency),
      fmt.ops(f.opsPerSecond),
      fmt.ms(f.latencyMs.p50),
      fmt.ms(f.latencyMs.p99),
      Number.isFinite(f.processCpuMicrosPerOp) ? f.processCpuMicrosPerOp.toFixed(0) : '-',
      fmt.cores(f.processCpuCores),
      f.machineCpuCores === null ? '-' : fmt.cores(f.machineCpuCores),
      f.eventLoopUtilization.toFixed(2),
      c ? `${fmt.ratio(c.ratio)}${c.basis === 'cpu' ? ' cpu' : ''}` : '',
      c?.target ? `>= ${c.target.toFixed(2)}` : '',
      verdict,
    ];
  });
  const out: string[] = [];
  const { machine, database, settings } = report;
  const pgVersion = database.version.split(' on ')[0];
  out.push(
    `${machine.cpuCount} x ${machine.cpuModel}, node ${machine.node}; ${pgVersion} (${database.source}, fsync ${database.settings.fsync}, synchronous_commit ${database.settings.synchronous_commit})`,
    `${settings.benchSeconds} s measured per figure in ${settings.rounds} alternating rounds, warm-up ${settings.warmupSeconds} s, pool ${settings.poolSize}; load average ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${(machine.loadAverageAtEnd ?? []).map((l) => l.toFixed(2)).join(' ')} at end`,
    '',
  );
  out.push(
    table(
      [
        'benchmark',
        'callers',
        'ops/s',
        'p50 ms',
        'p99 ms',
        'node µs/op',
        'node cpu',
        'host cpu',
        'ELU',
        'vs limit',
        'target',
        'result',
      ],
      rows,
      new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
    ),
  );
  out.push(
    `node µs/op: CPU time of this Node process per operation; node cpu: cores it used; host cpu: cores busy on the whole machine (of ${machine.cpuCount}: PostgreSQL if local, and any other work); ELU: main-thread event-loop utilisation.`,
  );

  out.push('', 'What each figure contains:');
  const seen = new Set<string>();
  for (const f of Object.values(report.figures)) {
    if (seen.has(f.name)) continue;
    seen.add(f.name);
    out.push(`  ${f.name}: ${f.contains}`);
  }

  if (report.refreshBreakdown.length > 0) {
    out.push('', 'Where a kit.refresh spends its time (instrumented run, mean ms per refresh):');
    out.push(
      table(
        [
          'callers',
          'ops/s',
          'total',
          'before rotate',
          'store.rotate',
          '(pool acquire)',
          'after rotate',
          '(ES256 sign)',
        ],
        report.refreshBreakdown.map((b) => [
          String(b.concurrency),
          fmt.ops(b.opsPerSecond),
          fmt.ms(b.meanMs.total),
          fmt.ms(b.meanMs.beforeRotate),
          fmt.ms(b.meanMs.storeRotate),
          fmt.ms(b.meanMs.poolAcquire),
          fmt.ms(b.meanMs.afterRotate),
          fmt.ms(b.meanMs.es256Sign),
        ]),
        new Set([0, 1, 2, 3, 4, 5, 6, 7]),
      ),
    );
  }

  if (report.openTelemetry) {
    const t = report.openTelemetry;
    const spans = (p: TelemetryPhase) =>
      Object.entries(p.spansPerRequest)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ') || 'none';
    out.push(
      '',
      `OpenTelemetry figures ("with SDK"): ${t.sdk}.`,
      `  spans exported per POST /token: ${spans(t.token)}; per GET /me: ${spans(t.me)}`,
      `  instruments in the last of ${t.collections} metric collections: ${t.metricNames.join(', ') || 'none'}`,
      '  "vs limit" of a "with SDK" figure: its CPU per operation against no SDK ("cpu": no SDK µs/op ÷ SDK µs/op); the throughput ratio is under Targets.',
    );
  }

  if (report.verifierBundle) {
    out.push('', 'Edge verifier bundle (esbuild, platform browser, minified):');
    for (const b of report.verifierBundle) out.push(`  ${b.entry}: ${b.bytes} bytes, ${b.gzipBytes} gzip`);
  }

  out.push('', 'Targets:');
  for (const c of report.comparisons) {
    const status = c.pass === null ? 'informational' : c.pass ? 'met' : 'MISSED';
    const target = c.target === null ? '' : ` (target >= ${c.target.toFixed(2)})`;
    const cpu = (key: string) => report.figures[key]?.processCpuMicrosPerOp.toFixed(0) ?? '?';
    const of = c.basis === 'cpu' ? ` (${cpu(c.limit)} ÷ ${cpu(c.subject)} µs/op)` : '';
    out.push(`  ${c.name}: ${fmt.ratio(c.ratio)}${of}${target} ${status}`);
  }
  out.push(
    report.targetsMissed.length === 0
      ? 'All targets met.'
      : `TARGETS MISSED (${report.targetsMissed.length}): ${report.targetsMissed.join('; ')}`,
  );
  return out.join('\n');
}

/**
 * Writes `bench/results/latest.json` and the chart `bench/results/latest.svg`; with
 * `BENCH_PUBLISH=1`, also `docs/assets/benchmarks.json` and `docs/assets/benchmarks.svg`, the
 * copies the benchmarks page shows. Returns the paths written.
 */
export function writeReport(report: Report): string[] {
  const targets = [new URL('../results/', import.meta.url)];
  if (process.env.BENCH_PUBLISH === '1') targets.push(new URL('../../docs/assets/', import.meta.url));
  const svg = renderChart(report);
  const written: string[] = [];
  for (const dir of targets) {
    mkdirSync(dir, { recursive: true });
    const published = !dir.pathname.endsWith('/results/');
    const json = new URL(published ? 'benchmarks.json' : 'latest.json', dir);
    const chart = new URL(published ? 'benchmarks.svg' : 'latest.svg', dir);
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(chart, svg);
    written.push(json.pathname, chart.pathname);
  }
  return written;
}
