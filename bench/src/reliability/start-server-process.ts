import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServerMemory, ServerProcessConfig, ServerReply, ServerRequest } from './server-protocol.ts';

/** One line the server process wrote, as read from its stdout or stderr. */
export interface CapturedLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** A running server process (server-process.ts) and what it printed so far. */
export interface ServerProcess {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  pid: number;
  /** Every line of its stdout and stderr, in the order read. */
  lines: CapturedLine[];
  /** Its memory; after a full garbage collection with `gc`. */
  memory(gc: boolean): Promise<ServerMemory>;
  /** `kit.keys.rotate()` then a reload: the new key is published now and signs after the lead time. */
  rotateKeys(): Promise<{ kid: string; activatesAt: string }>;
  /** Opens sessions with `kit.createSession` directly (no login, no scrypt). */
  createSessions(
    userId: string,
    count: number,
  ): Promise<{ id: string; refreshToken: string; accessToken: string }[]>;
  /** Shuts it down (server, pruner, key ring, ORM) and waits for it to exit; killed after 10 s. */
  stop(): Promise<void>;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./server-process.ts', import.meta.url));

const DEFAULTS: Omit<ServerProcessConfig, 'databaseUrl' | 'secret'> = {
  databaseTimeoutMs: 2000,
  accessTokenTtlSeconds: 3600,
  reuseGraceSeconds: 10,
  keyRefreshSeconds: 30,
  jwksMaxAgeSeconds: 300,
  pruneIntervalSeconds: 3600,
  leakBytesPerRequest: 0,
};

/**
 * Starts the demo server in a child process (with `--expose-gc`, through tsx) and resolves once it
 * answers requests. Its stdout and stderr are read line by line into `lines` (and passed to
 * `onLine`); nothing is forwarded to this process's own output.
 */
export async function startServerProcess(
  config: Pick<ServerProcessConfig, 'databaseUrl' | 'secret'> & Partial<ServerProcessConfig>,
  onLine?: (line: CapturedLine) => void,
): Promise<ServerProcess> {
  const child: ChildProcess = fork(ENTRY, [], {
    cwd: REPO_ROOT,
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, KIT_RELIABILITY_SERVER: JSON.stringify({ ...DEFAULTS, ...config }) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: CapturedLine[] = [];
  const closed: Promise<void>[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = child[stream];
    if (!source) throw new Error(`the server process has no ${stream}`);
    const reader = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY });
    reader.on('line', (text) => {
      const line = { stream, text };
      lines.push(line);
      onLine?.(line);
    });
    closed.push(new Promise((resolve) => reader.once('close', () => resolve())));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  let next = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const ready = new Promise<number>((resolve, reject) => {
    child.on('message', (message: ServerReply) => {
      if (message.type === 'ready') resolve(message.port);
      else {
        const call = pending.get(message.id);
        pending.delete(message.id);
        if ('error' in message) call?.reject(new Error(`the server process failed (${message.error})`));
        else call?.resolve(message.value);
      }
    });
    void exited.then((code) => {
      const tail = lines
        .slice(-20)
        .map((l) => l.text)
        .join('\n');
      const error = new Error(`the server process exited (${code})\n${tail}`);
      reject(error);
      for (const call of pending.values()) call.reject(error);
      pending.clear();
    });
  });
  const port = await ready;

  const call = <T>(request: WithoutId<ServerRequest>): Promise<T> => {
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: (value) => resolve(value as T), reject });
      child.send({ ...request, id });
    });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    lines,
    memory: (gc) => call({ type: 'memory', gc }),
    rotateKeys: () => call({ type: 'rotate-keys' }),
    createSessions: (userId, count) => call({ type: 'sessions', userId, count }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await call({ type: 'stop' }).catch(() => undefined);
        await exited;
        clearTimeout(timer);
      }
      // Every line it wrote has been read once both streams have ended.
      await Promise.all(closed);
    },
  };
}
