import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuSeconds, descendants, listeningPid, resetPeak, residentSet } from './proc.ts';

/** A shell that starts a Node server below it: the server is a grandchild of this process. */
function serverBelowShell(): Promise<{ shell: ChildProcess; port: number }> {
  const server = `require('node:http').createServer().listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port); })`;
  const shell = spawn('sh', ['-c', `"${process.execPath}" -e "${server}"`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => {
    shell.stdout!.on('data', (chunk: Buffer) => {
      const port = /port (\d+)/.exec(chunk.toString())?.[1];
      if (port) resolve({ shell, port: Number(port) });
    });
  });
}

describe.skipIf(process.platform !== 'linux')('/proc readings of the memory bench', () => {
  let shell: ChildProcess | undefined;
  afterEach(() => {
    for (const pid of shell?.pid ? descendants(shell.pid) : []) process.kill(pid, 'SIGKILL');
    shell?.kill('SIGKILL');
  });

  it('finds the process that listens below the one it started, not the shell', async () => {
    const started = await serverBelowShell();
    shell = started.shell;
    const pid = listeningPid(shell.pid!, started.port);
    expect(pid).not.toBe(shell.pid);
    expect(descendants(shell.pid!)).toContain(pid);
    // A Node process holds tens of MiB; its peak is at least its current resident set.
    const { rss, hwm } = residentSet(pid);
    expect(rss).toBeGreaterThan(20);
    expect(hwm).toBeGreaterThanOrEqual(rss);
    expect(cpuSeconds(pid)).toBeGreaterThan(0);
    expect(() => listeningPid(shell!.pid!, started.port === 1 ? 2 : 1)).toThrow(/listens on port/);
  });

  it('resets the peak below a block that was touched and freed', async () => {
    // A process that touches 128 MiB, frees it, and stays.
    const script =
      'let b = Buffer.alloc(128 * 1024 * 1024, 1); b = null; gc(); console.log("freed"); setInterval(() => {}, 1000);';
    const child = spawn(process.execPath, ['--expose-gc', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    shell = child;
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const before = residentSet(child.pid!);
    expect(before.hwm - before.rss).toBeGreaterThan(100);
    expect(resetPeak(child.pid!)).toBe(true);
    expect(residentSet(child.pid!).hwm).toBeLessThan(before.rss + 20);
  });
});
