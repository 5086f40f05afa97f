#!/usr/bin/env node
// `pnpm demo` (and `pnpm --filter @kit/demo start`): builds the demo with the repository's tsdown
// (src/main.ts and the @kit/* sources it imports, into dist/main.mjs, in under a second) and runs it
// on plain Node in a process of its own. Measured in docs/benchmarks.md ("Memory"), idle / peak RSS
// of the server under the load, medians:
//
// - no TypeScript loader in the server's process: 160 / 246 MiB under tsx, 118 / 209 without;
// - `MALLOC_MMAP_THRESHOLD_=131072` (glibc; ignored elsewhere; a value in the environment takes
//   precedence): each scrypt of a login allocates 16 MiB on a libuv thread, and glibc otherwise
//   keeps that much per thread after the first (up to 64 MiB for four threads, never returned).
//   With the threshold fixed, such blocks are mapped and unmapped each time: 118 / 209 to 94 / 134.
// - `--max-old-space-size=1024` (unless NODE_OPTIONS sets one): V8 lets its old generation grow
//   between full collections by a factor it picks from the heap's limit, 4 on a machine whose
//   limit is 2 GiB or more, about 1.6 at 1 GiB. Under the load the demo's scavenges promote about
//   25 MiB/s of objects that die soon after, over a live heap of about 20 MiB (its caches
//   included, each bounded), so its old generation swung between 20 and 90 MiB: 193 MiB at the
//   peak, 130 with the flag, with no CPU cost this host could measure (212 against 234 µs per
//   refresh in alternating runs). 1 GiB is fifty times what it holds.
//
// No flag on the young generation: bounding it (`--max-semi-space-size=4` or `8`) lowered the peak
// by 8 to 24 MiB but cost 10 to 20% more CPU per refresh. NODE_OPTIONS reaches the server, for a
// host that would rather pay that.
//
// This process stays as the server's parent only to pass signals on and exit with its status: it
// loads nothing but Node, whose pages it shares with the server.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const demoDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsdownDir = dirname(require.resolve('tsdown/package.json'));
const tsdownBin = join(tsdownDir, require('tsdown/package.json').bin.tsdown);

const build = spawnSync(process.execPath, [tsdownBin, '--logLevel', 'error'], {
  cwd: demoDir,
  encoding: 'utf8',
});
if (build.status !== 0) {
  // Its output only when it failed: otherwise it says nothing a user needs.
  process.stderr.write(build.stdout ?? '');
  process.stderr.write(build.stderr ?? '');
  process.stderr.write(`demo: the build failed (tsdown in ${demoDir}); nothing was started.\n`);
  process.exit(build.status ?? 1);
}

// A limit the host chose in NODE_OPTIONS is left alone (a flag here would override it).
const heapLimit = /--max[-_]old[-_]space[-_]size\b/.test(process.env.NODE_OPTIONS ?? '')
  ? []
  : ['--max-old-space-size=1024'];
const server = spawn(process.execPath, [...heapLimit, join(demoDir, 'dist', 'main.mjs')], {
  cwd: demoDir,
  stdio: 'inherit',
  env: { MALLOC_MMAP_THRESHOLD_: '131072', ...process.env },
});
// Ctrl-C reaches the whole process group, the server included; an orchestrator's SIGTERM may reach
// this process only. Either way the server decides when to exit (a second signal changes nothing
// there), and this process exits after it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => server.kill(signal));
}
server.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
