/**
 * The one way the bench and the reliability tests run a server in a child process, so the two
 * never share an event loop, and the server's memory and CPU are its own.
 *
 * - The parent starts the child with {@link startChildProcess}: a TypeScript module run by Node
 *   through tsx, with an IPC channel.
 * - The child, once it serves, calls {@link answerParent}: it sends `{ type: 'ready', ...ready }`
 *   (the ports it listens on), then answers each request `{ type, id, ...payload }` with
 *   `{ type: 'reply', id, value }` or `{ type: 'reply', id, error }`.
 * - `stop` is a request like any other: the child runs its shutdown, answers, and exits 0. It
 *   shuts down the same way on SIGTERM, and when the parent goes away without stopping it, so an
 *   interrupted run leaves no server behind.
 *
 * A program that does not speak the protocol (the demo's `main.ts`, run as its users run it) is
 * started the same way with `readyLine`: it is ready once it prints that line, it has no IPC
 * channel, `stop()` sends it SIGTERM, and it is killed if this process exits first.
 */
import { type ChildProcess as NodeChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One line the child wrote, as read from its stdout or stderr. */
export interface CapturedLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Options of {@link startChildProcess}. */
export interface ChildProcessOptions {
  /**
   * The module to run, absolute or relative to `cwd`: a `.ts` file, which Node runs through tsx, or
   * with `typescript: false` plain JavaScript, which Node runs as it is.
   */
  entry: string;
  /**
   * Whether the child runs through tsx (with the workspace's `development` condition, so `@kit/*`
   * resolve to their TypeScript sources). `false` for a bundle made beforehand: tsx transforms with
   * esbuild's `keepNames`, which makes every function created at run time cost a `defineProperty`
   * call that the published build does not make.
   * @default true
   */
  typescript?: boolean;
  /** Names the child in errors: "the HTTP bench's server". */
  name: string;
  /** The directory it runs in. @default this process's */
  cwd?: string;
  /** The environment `env` is added to. @default process.env */
  baseEnv?: NodeJS.ProcessEnv;
  /** Variables added to `baseEnv`. */
  env?: Record<string, string>;
  /** More Node options, before tsx's (`--expose-gc`, `--cpu-prof`). */
  execArgv?: readonly string[];
  /**
   * `pipe`: every line of the child's stdout and stderr is kept in {@link ChildProcess.lines} (and
   * passed to `onLine`), nothing is forwarded to this process's output. `inherit`: the child writes
   * to this process's stdout and stderr.
   * @default 'pipe'
   */
  output?: 'pipe' | 'inherit';
  /** Called with each line as it is read (`output: 'pipe'` only). */
  onLine?: (line: CapturedLine) => void;
  /**
   * For a program that does not speak the protocol: it is ready once it prints a line matching
   * this on stdout, and `ready` is the match (`output: 'pipe'` only).
   */
  readyLine?: RegExp;
  /** Liveness only: a child not ready within this is a hang, and is killed. @default 120000 */
  startTimeoutMs?: number;
  /** Milliseconds `stop()` waits for the child to exit before it kills it. @default 10000 */
  stopTimeoutMs?: number;
}

/** A child process that is ready, as {@link startChildProcess} resolves it. */
export interface ChildProcess<Ready = Record<string, never>> {
  /** What the child sent with `ready` (the ports it listens on), or the match of `readyLine`. */
  readonly ready: Ready;
  readonly pid: number;
  /** Every line of its stdout and stderr so far, in the order read (`output: 'pipe'` only). */
  readonly lines: CapturedLine[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a request; resolves with the child's answer, rejects with its error or when it exits. */
  call<T>(type: string, payload?: Record<string, unknown>): Promise<T>;
  /** Sends a signal to the child (SIGTERM, SIGSTOP, SIGKILL...). */
  signal(signal: NodeJS.Signals): void;
  /**
   * Asks the child to stop (SIGTERM with `readyLine`) and waits for it to exit (killed after
   * `stopTimeoutMs`), then until every line it wrote has been read. Does nothing more once it has
   * exited.
   */
  stop(): Promise<void>;
}

/** A message of the child to its parent. */
type ChildMessage =
  | { type: 'ready' }
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'reply'; id: number; error: string };

/** A request of the parent to its child. */
interface ParentRequest {
  type: string;
  id: number;
  [key: string]: unknown;
}

/** Children started with `readyLine` and still running: they would not notice this process go. */
const unaware = new Set<NodeChildProcess>();
let killingUnawareAtExit = false;

/**
 * Starts `entry` in a child process and resolves once it is ready (see the module comment).
 * Rejects, with the end of its output, if it exits or hangs before that.
 */
export async function startChildProcess<Ready = Record<string, never>>(
  options: ChildProcessOptions,
): Promise<ChildProcess<Ready>> {
  const { name, readyLine } = options;
  const piped = (options.output ?? 'pipe') === 'pipe';
  if (readyLine && !piped) throw new Error('readyLine needs output: pipe');
  const output = piped ? 'pipe' : 'inherit';
  const child = spawn(
    process.execPath,
    [
      ...(options.execArgv ?? []),
      ...(options.typescript === false ? [] : ['--conditions=development', '--import', 'tsx']),
      options.entry,
    ],
    {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: { ...(options.baseEnv ?? process.env), ...options.env },
      stdio: readyLine ? ['ignore', output, output] : ['ignore', output, output, 'ipc'],
    },
  );
  if (readyLine) watchUnaware(child);

  const lines: CapturedLine[] = [];
  const closed: Promise<void>[] = [];
  let onStdout: ((text: string) => void) | undefined;
  for (const stream of piped ? (['stdout', 'stderr'] as const) : []) {
    const source = child[stream];
    if (!source) throw new Error(`${name} has no ${stream}`);
    const reader = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY });
    reader.on('line', (text) => {
      const line = { stream, text };
      lines.push(line);
      options.onLine?.(line);
      if (stream === 'stdout') onStdout?.(text);
    });
    closed.push(new Promise((resolve) => reader.once('close', () => resolve())));
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // Exited, and every line it wrote read: what an error message quotes.
  const ended = exited.then(async (status) => {
    await Promise.all(closed);
    return `${name} exited (code ${status.code}, signal ${status.signal})`;
  });
  const tail = () =>
    piped
      ? `; its last lines:\n${lines
          .slice(-20)
          .map((l) => l.text)
          .join('\n')}`
      : '';

  let next = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  void ended.then((exit) => {
    const error = new Error(`${exit}${tail()}`);
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  });
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name} was not ready within ${startTimeoutMs} ms${tail()}`));
      child.kill('SIGKILL');
    }, startTimeoutMs);
    const isReady = (value: unknown) => {
      clearTimeout(timer);
      resolve(value as Ready);
    };
    // A failed spawn; after the start, a failed send is answered through its own callback.
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${name} could not be started (${error.message})`));
    });
    if (readyLine) {
      onStdout = (text) => {
        const match = readyLine.exec(text);
        if (!match) return;
        onStdout = undefined;
        isReady(match);
      };
    }
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        const { type: _, ...payload } = message;
        isReady(payload);
        return;
      }
      const call = pending.get(message.id);
      pending.delete(message.id);
      if ('error' in message) call?.reject(new Error(`${name} failed (${message.error})`));
      else call?.resolve(message.value);
    });
    void ended.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`${exit} before it was ready${tail()}`));
    });
  });

  const call = <T>(type: string, payload: Record<string, unknown> = {}): Promise<T> => {
    if (readyLine)
      return Promise.reject(new Error(`${name} answers no requests (it was started with readyLine)`));
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: (value) => resolve(value as T), reject });
      child.send({ ...payload, type, id } satisfies ParentRequest, (error) => {
        if (!error) return;
        pending.delete(id);
        reject(error);
      });
    });
  };
  const running = () => child.exitCode === null && child.signalCode === null;

  return {
    ready,
    pid: child.pid as number,
    lines,
    exited,
    call,
    signal: (signal) => {
      child.kill(signal);
    },
    async stop() {
      if (running()) {
        const timer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? 10_000);
        if (readyLine) child.kill('SIGTERM');
        // The answer comes just before the exit; a child that dies instead rejects it.
        else await call('stop').catch(() => undefined);
        await exited;
        clearTimeout(timer);
      }
      await Promise.all(closed);
    },
  };
}

function watchUnaware(child: NodeChildProcess): void {
  unaware.add(child);
  child.once('exit', () => unaware.delete(child));
  if (killingUnawareAtExit) return;
  killingUnawareAtExit = true;
  // If this process ends first (a test worker crashed or timed out), no server is left behind.
  process.once('exit', () => {
    for (const survivor of unaware) {
      try {
        // A stopped process must be continued to act on anything but SIGKILL; SIGKILL needs nothing.
        survivor.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** What {@link answerParent} needs. */
export interface AnswerParentOptions {
  /** Sent with `ready`: the ports the child listens on. */
  ready?: Record<string, unknown>;
  /** Answers a request of each type but `stop`; the request's other fields are its payload. */
  handlers: Record<string, (request: Record<string, unknown>) => unknown>;
  /** Closes what the child opened; run once, on `stop`, SIGTERM, or when the parent goes away. */
  stop: () => Promise<void> | void;
  /**
   * What a failed request answers. @default the error's `code` when it is a string, otherwise its
   * class name: never a message, which could carry input (a token) into the parent's errors.
   */
  describeError?: (error: unknown) => string;
}

/**
 * The child's side of the protocol (see the module comment): sends `ready` and answers the
 * parent's requests until it is stopped. Throws if the process has no IPC channel, that is, if it
 * was not started by {@link startChildProcess}.
 */
export function answerParent(options: AnswerParentOptions): void {
  const send = process.send?.bind(process);
  if (!send) {
    throw new Error('This module runs in a child process started by startChildProcess (@kit/test-support).');
  }
  const describe = options.describeError ?? describeError;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= Promise.resolve(options.stop());
    return stopped;
  };
  const answer = async (request: ParentRequest): Promise<unknown> => {
    if (request.type === 'stop') return stop().then(() => null);
    const handler = options.handlers[request.type];
    if (!handler) throw new Error(`no request of type ${request.type}`);
    return handler(request);
  };
  process.on('message', (request: ParentRequest) => {
    const reply = (message: ChildMessage, code: number) =>
      send(message, undefined, {}, () => {
        // Exits once the answer to `stop` is sent: 0, or 1 if shutting down failed.
        if (request.type === 'stop') process.exit(code);
      });
    answer(request).then(
      (value) => reply({ type: 'reply', id: request.id, value }, 0),
      (error: unknown) => reply({ type: 'reply', id: request.id, error: describe(error) }, 1),
    );
  });
  const exitAfterStop = () =>
    void stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.on('SIGTERM', exitAfterStop);
  // The parent went away without stopping it (a run interrupted): never linger as an orphan.
  process.on('disconnect', exitAfterStop);
  send({ ...options.ready, type: 'ready' });
}

function describeError(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'error';
}
