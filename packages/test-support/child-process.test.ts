import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startChildProcess } from './child-process.ts';

const entry = fileURLToPath(new URL('./child-process.test-child.ts', import.meta.url));

describe('the child-process protocol', () => {
  it('learns what the child is ready with, answers requests, and stops it', async () => {
    const child = await startChildProcess<{ port: number }>({ entry, name: 'the test child' });
    try {
      expect(child.ready).toEqual({ port: 1234 });
      expect(await child.call('echo', { text: 'hello' })).toBe('hello');
      // The error's code only: its message could carry input.
      await expect(child.call('fail')).rejects.toThrow(/^the test child failed \(ERR_TEST\)$/);
      await expect(child.call('nothing')).rejects.toThrow('the test child failed (Error)');
    } finally {
      await child.stop();
    }
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines).toEqual([
      { stream: 'stdout', text: 'starting' },
      { stream: 'stdout', text: 'stopped' },
    ]);
    await child.stop(); // once it has exited: nothing more
  });

  it('rejects with the end of its output when the child exits before it is ready', async () => {
    const started = startChildProcess({ entry, name: 'the test child', env: { CHILD_MODE: 'crash' } });
    await expect(started).rejects.toThrow(
      'the test child exited (code 3, signal null) before it was ready; its last lines:\ncannot start: no database',
    );
  });

  it('starts a program that does not speak the protocol, ready once it prints readyLine', async () => {
    const child = await startChildProcess<RegExpExecArray>({
      entry,
      name: 'the plain child',
      env: { CHILD_MODE: 'plain' },
      readyLine: /^listening on (http:\/\/\S+)$/,
    });
    expect(child.ready[1]).toBe('http://127.0.0.1:4321');
    await expect(child.call('echo')).rejects.toThrow('the plain child answers no requests');
    await child.stop();
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });
});
