import { mkdirSync, writeFileSync } from 'node:fs';
import {
  DEFAULT_MEMORY_SUBJECTS,
  formatMemoryReport,
  MEMORY_SUBJECTS,
  type MemoryReport,
  type MemorySubject,
  measureMemory,
} from './measure.ts';

/** `BENCH_MEMORY_SUBJECTS` (comma-separated), checked against the known subjects; unset: all but `demo-js-try`. */
export function memorySubjects(raw = process.env.BENCH_MEMORY_SUBJECTS): readonly MemorySubject[] {
  if (!raw) return DEFAULT_MEMORY_SUBJECTS;
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(MEMORY_SUBJECTS as readonly string[]).includes(name)) {
      throw new Error(
        `BENCH_MEMORY_SUBJECTS: unknown subject ${name} (known: ${MEMORY_SUBJECTS.join(', ')}).`,
      );
    }
  }
  return names as MemorySubject[];
}

/**
 * The memory section of `pnpm bench` (see measure.ts) on `databaseUrl` (migrated): prints its
 * table and writes `bench/results/memory-latest.json`.
 */
export async function runMemorySection(
  databaseUrl: string,
  log: (line: string) => void,
): Promise<MemoryReport> {
  const report = await measureMemory({ databaseUrl, log, subjects: memorySubjects() });
  console.log(formatMemoryReport(report));
  mkdirSync(new URL('../../results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../../results/memory-latest.json', import.meta.url),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  console.log('memory results written to bench/results/memory-latest.json');
  return report;
}
