import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { positiveEnv } from './env.ts';
import { checkMemory, formatSoakReport, runSoak, type SoakReport } from './reliability/soak.ts';

/** What {@link measureSoak} adds to the soak's own report. */
export interface SoakFigure extends SoakReport {
  date: string;
  machine: { cpuCount: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  /** Memory findings against the soak's bounds (none when flat). */
  memoryProblems: string[];
}

/**
 * The soak of reliability/soak.ts for minutes instead of the 15 s of CI: the demo
 * server in a child process on a fresh database, a steady mix of logins, refreshes, `/me`,
 * revocations and replays, then every session checked and the server's memory compared.
 *
 * Environment: `SOAK_SECONDS` (measured seconds, default 180), `SOAK_RATE` (requests per second,
 * default 60: what two cores sustain with one login in 17 at scrypt's cost), `SOAK_WARMUP_SECONDS`
 * (default 10). Prints the report and writes `bench/results/soak-latest.json`. Correctness failures (an unexpected answer, a session that does
 * not refresh or is not refused) are in `unexpected` and `sessions.failures`; memory growth beyond
 * the bounds in `memoryProblems`.
 */
export async function measureSoak(options: {
  /** An empty database (the soak's server migrates it). */
  databaseUrl: string;
  log: (line: string) => void;
}): Promise<SoakFigure> {
  const loadAverageAtStart = os.loadavg();
  const report = await runSoak({
    databaseUrl: options.databaseUrl,
    seconds: positiveEnv('SOAK_SECONDS', 180),
    rate: positiveEnv('SOAK_RATE', 60),
    warmupSeconds: positiveEnv('SOAK_WARMUP_SECONDS', 10),
    log: (line) => options.log(`soak: ${line}`),
  });
  const figure: SoakFigure = {
    date: new Date().toISOString(),
    machine: { cpuCount: os.cpus().length, loadAverageAtStart, loadAverageAtEnd: os.loadavg() },
    ...report,
    memoryProblems: checkMemory(report.memory),
  };
  console.log(formatSoakReport(report));
  if (figure.memoryProblems.length > 0) console.log(`  memory: ${figure.memoryProblems.join('; ')}`);
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL('soak-latest.json', dir);
  writeFileSync(file, `${JSON.stringify(figure, null, 2)}\n`);
  console.log(`soak results written to ${file.pathname}`);
  return figure;
}
