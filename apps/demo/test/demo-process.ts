import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
const LISTENING = /^listening on (http:\/\/\S+)$/;

const running = new Set<ChildProcess>();

function killSurvivors() {
  for (const child of running) {
    try {
      // A stopped process must be continued to act on anything but SIGKILL; SIGKILL needs nothing.
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
// If the test worker ends without its afterAll (a crash, a timeout), no server is left behind.
process.once('exit', killSurvivors);

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
 * printed `listening on ...`: it then answers requests. Rejects, with the server's output, if it
 * exits first or does not get there within the liveness timeout.
 */
export function startDemo(label: string, env: Record<string, string>): Promise<DemoProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', 'src/main.ts'], {
    cwd: DEMO_DIR,
    env: { ...baseEnv(), HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  return new Promise<DemoProcess>((resolve, reject) => {
    let ready = false;
    const fail = (why: string) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`demo server ${label} ${why}; its output:\n${output.join('\n')}`));
    };
    const timer = setTimeout(
      () => fail(`printed no "listening on" line in ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    const collect = (stream: NodeJS.ReadableStream, onLine?: (line: string) => void) => {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          output.push(line);
          onLine?.(line);
        }
      });
    };
    collect(child.stdout!, (line) => {
      const match = LISTENING.exec(line);
      if (!match || ready) return;
      ready = true;
      clearTimeout(timer);
      const pid = child.pid!;
      resolve({
        label,
        pid,
        url: match[1]!,
        output,
        exited,
        signal: (signal) => {
          child.kill(signal);
        },
        async kill() {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    collect(child.stderr!);
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    void exited.then(({ code, signal }) => fail(`exited (code ${code}, signal ${signal}) before listening`));
  });
}

/** Kills every demo server still running (for afterAll, whatever happened in the tests). */
export async function stopAllDemos(): Promise<void> {
  const children = [...running];
  const gone = children.map(
    (child) =>
      new Promise<void>((resolve) =>
        child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
      ),
  );
  killSurvivors();
  await Promise.all(gone);
}
