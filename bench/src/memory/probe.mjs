// Preloaded into every process of the memory bench (NODE_OPTIONS=--import=…/probe.mjs): on
// SIGUSR2 it writes this process's `process.memoryUsage()` to BENCH_MEMORY_PROBE_DIR/<pid>.json.
// It allocates nothing until then, so it weighs on no figure; the RSS figures are read from
// /proc/<pid>/status, not from here. A process of the bench that is not signalled never writes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_MEMORY_PROBE_DIR;
if (dir) {
  process.on('SIGUSR2', () => {
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(process.memoryUsage()));
  });
}
