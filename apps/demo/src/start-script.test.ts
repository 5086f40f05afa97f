import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateSecret } from '@kit/core';
import { startChildProcess } from '@kit/test-support/child-process';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEMO_DIR = fileURLToPath(new URL('..', import.meta.url));

/** The pids of the children of `pid` (Linux /proc). */
function childPids(pid: number): string[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
}

/** A NUL-separated /proc file of `pid` (`cmdline`, `environ`) as its entries. */
const entries = (pid: string, file: string) =>
  readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);

/**
 * `pnpm demo`'s start script (scripts/start.mjs): it builds the demo, runs it on plain Node with the
 * memory settings of docs/benchmarks.md, and passes signals on, exiting with the server's status.
 */
describe.skipIf(process.platform !== 'linux')('the demo start script', () => {
  let db: TestDatabase;
  // One secret for both starts: the first one's signing keys are in the database, under it.
  const secret = generateSecret();
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** Starts `pnpm demo`'s script with `nodeOptions` as NODE_OPTIONS; returns it and its server's pid. */
  const startScript = async (nodeOptions: string) => {
    const launcher = await startChildProcess<RegExpExecArray>({
      entry: 'scripts/start.mjs',
      name: 'the demo start script',
      typescript: false,
      cwd: DEMO_DIR,
      env: {
        DATABASE_URL: db.url,
        KIT_SECRET: secret,
        HOST: '127.0.0.1',
        PORT: '0',
        NODE_OPTIONS: nodeOptions,
      },
      readyLine: /^listening on (http:\/\/\S+)$/,
      startTimeoutMs: 60_000,
    });
    // One server process below the launcher.
    const children = childPids(launcher.pid);
    expect(children).toHaveLength(1);
    return { launcher, server: children[0]! };
  };

  it('builds the demo, serves it on plain node, and exits 0 after the server on SIGTERM', async () => {
    const { launcher, server } = await startScript('');
    try {
      const url = launcher.ready[1]!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/docs`)).status).toBe(200);
      // Node on the built JavaScript, no TypeScript loader, the heap limit and the malloc setting.
      expect(entries(server, 'cmdline').slice(1)).toEqual([
        '--max-old-space-size=1024',
        expect.stringMatching(/\/apps\/demo\/dist\/main\.mjs$/),
      ]);
      expect(entries(server, 'environ')).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    } finally {
      await launcher.stop();
    }
    // SIGTERM went to the launcher only: the server drained, exited 0, and so did the launcher.
    expect(await launcher.exited).toEqual({ code: 0, signal: null });
    expect(launcher.lines.map((l) => l.text).join('\n')).toContain('shutdown: done');
  });

  // Node takes the flag with dashes or underscores.
  it.each(['--max-old-space-size=2048', '--max_old_space_size=2048'])(
    'leaves the heap limit to NODE_OPTIONS when the host sets one there (%s)',
    async (option) => {
      const { launcher, server } = await startScript(option);
      try {
        expect(entries(server, 'cmdline').slice(1)).toEqual([
          expect.stringMatching(/\/apps\/demo\/dist\/main\.mjs$/),
        ]);
        expect(entries(server, 'environ')).toContain(`NODE_OPTIONS=${option}`);
      } finally {
        await launcher.stop();
      }
    },
  );
});
