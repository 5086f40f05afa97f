import { fileURLToPath } from 'node:url';
import { type ChildProcess, startChildProcess } from '@kit/test-support/child-process';

/**
 * The demo server as a real child process (`node --import tsx src/main.ts`, what `pnpm demo` runs,
 * without a wrapper process in between, so a signal reaches the server itself).
 */
export interface DemoProcess {
  readonly label: string;
  readonly pid: number;
  /** `http://127.0.0.1:<port>`, from the server's `listening on` line. */
  readonly url: string;
  /** Every line the server printed (stdout and stderr), for failure messages. */
  readonly output: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal (SIGKILL, SIGSTOP...) to the server. */
  signal(signal: NodeJS.Signals): void;
  /** `kill -9` and wait for the exit. */
  kill(): Promise<void>;
}

const DEMO_DIR = fileURLToPath(new URL('..', import.meta.url));
/** Liveness only: a start that takes longer than this is a hang, not a slow machine. */
const START_TIMEOUT_MS = 60_000;

const running = new Set<ChildProcess<RegExpExecArray>>();

/**
 * The parent's environment without anything that configures the demo, so the test alone decides
 * (a developer's own KIT_SIGNING_KEYS, PORT or REDIS_URL must not leak into the servers under test).
 */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      name.startsWith('KIT_') ||
      ['PORT', 'HOST', 'DATABASE_URL', 'REDIS_URL', 'NODE_OPTIONS'].includes(name)
    )
      continue;
    env[name] = value;
  }
  return env;
}

/**
 * Starts the demo server with `env` (on top of a clean environment) and resolves once it has
 * printed `listening on ...`: it then answers requests. Rejects, with the server's last lines, if
 * it exits first or does not get there within the liveness timeout. A server still running when
 * the test's process ends is killed.
 */
export async function startDemo(label: string, env: Record<string, string>): Promise<DemoProcess> {
  const child = await startChildProcess<RegExpExecArray>({
    entry: 'src/main.ts',
    name: `demo server ${label}`,
    cwd: DEMO_DIR,
    baseEnv: baseEnv(),
    env: { HOST: '127.0.0.1', PORT: '0', ...env },
    readyLine: /^listening on (http:\/\/\S+)$/,
    startTimeoutMs: START_TIMEOUT_MS,
  });
  running.add(child);
  void child.exited.then(() => running.delete(child));
  return {
    label,
    pid: child.pid,
    url: child.ready[1]!,
    get output() {
      return child.lines.map((line) => line.text);
    },
    exited: child.exited,
    signal: (signal) => child.signal(signal),
    async kill() {
      child.signal('SIGKILL');
      await child.exited;
    },
  };
}

/** Kills every demo server still running (for afterAll, whatever happened in the tests). */
export async function stopAllDemos(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      // A stopped process must be continued to act on anything but SIGKILL; SIGKILL needs nothing.
      child.signal('SIGKILL');
      return child.exited;
    }),
  );
}
