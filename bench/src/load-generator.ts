/**
 * A small HTTP/1.1 load generator for the HTTP figures: `connections` keep-alive TCP connections to
 * one server on 127.0.0.1, each sending its next request as soon as the previous response is
 * complete (one request in flight per connection, as a client chaining refresh tokens must).
 *
 * It exists because the load generator shares the machine's cores with the server it measures and
 * with PostgreSQL. A general-purpose generator (autocannon measured about 185 µs of CPU per
 * request here) takes CPU the server would otherwise have; this one builds each request as one
 * string, parses only the status line and the framing headers, and hands the body to the figure's
 * own check. Its CPU per request is reported with every figure (`generatorCpuMicrosPerOp`), so what
 * it costs stays visible.
 *
 * Strict on purpose: a response it cannot frame (no `Content-Length`, chunked encoding, a closed
 * connection, a malformed status line) fails the run loudly rather than being counted.
 */

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { quantile } from './quantile.ts';

/** What one connection sends and how it checks each answer. */
export interface ConnectionScript {
  /** The complete next request (request line, headers and body) of this connection. */
  next(): string;
  /** Checks one complete response; returns false when it is not the expected answer. */
  check(status: number, body: Buffer): boolean;
}

/** Counts and latencies of one window. */
export interface LoadResult {
  /** Responses completed inside the window that passed their check. */
  ok: number;
  /** Responses that failed their check: inside the window, or in flight when it ended. */
  failed: number;
  /** Measured seconds (the window). */
  seconds: number;
  latencyMs: { mean: number; p50: number; p99: number; max: number };
  /** CPU of this process per completed response, in µs (the generator's own cost). */
  generatorCpuMicrosPerOp: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Builds a request string: `method path`, the given headers, and the body with its length. */
export function httpRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): string {
  let head = `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (body !== '' || method === 'POST') head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  return `${head}\r\n${body}`;
}

class Connection {
  readonly #socket: Socket;
  readonly #script: ConnectionScript;
  readonly #onDone: (status: number, body: Buffer, startedAt: number) => void;
  readonly #onError: (error: Error) => void;
  #buffer: Buffer = Buffer.alloc(0);
  #startedAt = 0;
  #stopped = false;

  constructor(
    port: number,
    script: ConnectionScript,
    onDone: (status: number, body: Buffer, startedAt: number) => void,
    onError: (error: Error) => void,
  ) {
    this.#script = script;
    this.#onDone = onDone;
    this.#onError = onError;
    this.#socket = connect({ host: '127.0.0.1', port, noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.#socket.on('error', (error) => this.#fail(error));
    this.#socket.on('close', () => {
      if (!this.#stopped) this.#fail(new Error('the server closed a keep-alive connection'));
    });
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.once('connect', resolve);
      this.#socket.once('error', reject);
    });
  }

  send(): void {
    if (this.#stopped) return;
    this.#startedAt = performance.now();
    this.#socket.write(this.#script.next());
  }

  stop(): void {
    this.#stopped = true;
    this.#socket.destroy();
  }

  #fail(error: Error): void {
    if (this.#stopped) return;
    this.stop();
    this.#onError(error);
  }

  #read(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let response: { status: number; body: Buffer } | undefined;
    try {
      response = this.#take();
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    if (response === undefined) return;
    this.#buffer = Buffer.alloc(0);
    this.#onDone(response.status, response.body, this.#startedAt);
  }

  /** The complete response in the buffer; undefined while bytes are missing; throws when unframeable. */
  #take(): { status: number; body: Buffer } | undefined {
    const headerEnd = this.#buffer.indexOf(HEADER_END);
    if (headerEnd === -1) return undefined;
    const head = this.#buffer.toString('latin1', 0, headerEnd).toLowerCase();
    if (!head.startsWith('http/1.1 ') || head.length < 12) {
      throw new Error(`malformed status line: ${JSON.stringify(head.slice(0, 40))}`);
    }
    if (head.includes('\r\ntransfer-encoding:')) {
      throw new Error('a chunked response: the load generator frames by content-length only');
    }
    if (head.includes('\r\nconnection: close')) {
      throw new Error('the server asked to close a keep-alive connection');
    }
    const at = head.indexOf('\r\ncontent-length:');
    if (at === -1) throw new Error('a response without content-length');
    const lineEnd = head.indexOf('\r\n', at + 17);
    const length = Number(head.slice(at + 17, lineEnd === -1 ? undefined : lineEnd).trim());
    if (!Number.isInteger(length) || length < 0) throw new Error('a bad content-length');
    const total = headerEnd + 4 + length;
    if (this.#buffer.length < total) return undefined;
    if (this.#buffer.length > total) {
      throw new Error('bytes after a response: one request is in flight per connection');
    }
    return { status: Number(head.slice(9, 12)), body: this.#buffer.subarray(headerEnd + 4, total) };
  }
}

/**
 * Runs `connections` connections against `port` for `seconds` and returns what completed inside
 * the window. `script(i)` makes connection i's script.
 *
 * The window closes cleanly: no request is sent after it ends, and the answers still in flight
 * are awaited and handed to their checks (uncounted), so a client's state, such as the refresh
 * token a chain presents next, stays in step with the server for the next window.
 */
export async function generateLoad(options: {
  port: number;
  connections: number;
  seconds: number;
  script: (connection: number) => ConnectionScript;
  /** A request unanswered this long fails the run (default 10 s). */
  timeoutMs?: number | undefined;
}): Promise<LoadResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let closing = false;
  let inFlight = 0;
  let failure: Error | undefined;
  let endAt = 0;
  let settle: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const send = (connection: Connection) => {
    inFlight++;
    connection.send();
  };
  const connections: Connection[] = [];
  const lastAnswer = new Float64Array(options.connections);
  for (let i = 0; i < options.connections; i++) {
    const script = options.script(i);
    const connection: Connection = new Connection(
      options.port,
      script,
      (status, body, startedAt) => {
        inFlight--;
        const now = performance.now();
        lastAnswer[i] = now;
        const passed = script.check(status, body);
        if (!closing && now <= endAt) {
          latencies.push(now - startedAt);
          if (passed) ok++;
          else failed++;
          send(connection);
          return;
        }
        // Past the window: checked but not counted (a failure still fails the run); no new request.
        closing = true;
        if (!passed) failed++;
        if (inFlight === 0) settle();
      },
      (error) => {
        failure ??= error;
        settle();
      },
    );
    connections.push(connection);
  }
  try {
    await Promise.all(connections.map((c) => c.ready()));
  } catch (error) {
    for (const connection of connections) connection.stop();
    throw error;
  }

  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  endAt = startedAt + options.seconds * 1000;
  lastAnswer.fill(startedAt);
  for (const connection of connections) send(connection);
  // The window ends at the first answer after endAt, once every request in flight is answered;
  // the watchdog fails it when a connection waits longer than the timeout for an answer.
  const watchdog = setInterval(() => {
    const now = performance.now();
    if (now > endAt + timeoutMs) {
      failure ??= new Error(`no answer within ${timeoutMs} ms after the window`);
      return settle();
    }
    if (now < endAt) {
      for (const at of lastAnswer) {
        if (now - at > timeoutMs) {
          failure ??= new Error(`a request got no answer within ${timeoutMs} ms`);
          return settle();
        }
      }
    }
  }, 100);
  await finished;
  clearInterval(watchdog);
  const seconds = (Math.min(performance.now(), endAt) - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  for (const connection of connections) connection.stop();
  if (failure) throw failure;

  const sorted = Float64Array.from(latencies).sort();
  const completed = latencies.length;
  return {
    ok,
    failed,
    seconds,
    latencyMs: {
      mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length),
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    },
    generatorCpuMicrosPerOp: completed === 0 ? Number.NaN : (cpu.user + cpu.system) / completed,
  };
}
