import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * The demo's graceful shutdown of a Node HTTP server: stop accepting, let the requests in flight
 * finish (each answer delivered whole), close keep-alive connections as they fall idle, then run
 * the cleanup steps (pruner, pools, embedded database), all within a bound.
 *
 * It lives in the demo rather than in `@kit/hono` because it is about `node:http`, and `@kit/hono`
 * runs on every runtime; what is reusable across runtimes (`/readyz` answering 503 once shutdown
 * begins) is the `signal` option of `createHealthRoutes`.
 */

/** Options of {@link createGracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** The server `serve()` returned. It must be a `node:http` server (not HTTP/2). */
  server: Server;
  /**
   * Most milliseconds requests in flight get to finish. After it, the connections still open are
   * destroyed and the process exits with code 1.
   * @default 10000
   */
  drainMs?: number;
  /**
   * Milliseconds between the start of shutdown and closing the listener, during which new
   * connections are still served (each answer with `Connection: close`) while `/readyz` answers
   * 503: time for a load balancer that polls readiness to stop routing here. `0` refuses new
   * connections at once (Kubernetes removes a terminating pod from its endpoints by itself; give
   * the pod a `preStop` sleep instead).
   * @default 0
   */
  lingerMs?: number;
  /**
   * Most milliseconds the cleanup steps get once draining is over; past it the process exits with
   * code 1 without waiting for them.
   * @default 5000
   */
  cleanupMs?: number;
  /** Run in order once no request is in flight: stop the pruner, close pools, stop a database. */
  cleanup: ReadonlyArray<() => Promise<unknown> | unknown>;
  /** Aborted as soon as shutdown begins (pass its signal to `createHealthRoutes`). */
  controller: AbortController;
  /** @default console.log */
  log?: (line: string) => void;
  /** @default process.exit */
  exit?: (code: number) => void;
}

/** Begins the shutdown (idempotent); resolves with the exit code once done. */
export type Shutdown = (reason: string) => Promise<number>;

/**
 * Makes the shutdown sequence of {@link GracefulShutdownOptions}. Call it from signal handlers:
 *
 * 1. the controller is aborted (`/readyz` answers 503), and every answer not yet written carries
 *    `Connection: close`;
 * 2. after `lingerMs`, the listener closes: new connections are refused;
 * 3. idle keep-alive connections are closed at once, busy ones as soon as their answer is sent
 *    (answers still to be written carry `Connection: close`);
 * 4. when no connection is left, or after `drainMs` (the rest are destroyed, exit code 1), the
 *    cleanup steps run in order, a failing one logged and skipped;
 * 5. `exit(code)`: 0 when every request finished and every step succeeded.
 *
 * @example
 * ```ts
 * const shutdown = createGracefulShutdown({ server, controller, cleanup: [() => orm.close()] });
 * process.once('SIGTERM', () => void shutdown('SIGTERM'));
 * ```
 */
export function createGracefulShutdown(options: GracefulShutdownOptions): Shutdown {
  const { server, controller } = options;
  const drainMs = options.drainMs ?? 10_000;
  const cleanupMs = options.cleanupMs ?? 5_000;
  const lingerMs = options.lingerMs ?? 0;
  const log = options.log ?? ((line: string) => console.log(line));
  const exit = options.exit ?? ((code: number) => process.exit(code));

  // Answers not yet written: told to close their connection once shutdown begins, so a client
  // on keep-alive does not send another request on a connection about to go away.
  const pending = new Set<ServerResponse>();
  // Before the app's listener, which may write a synchronous answer's head at once.
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (controller.signal.aborted && !res.headersSent) res.setHeader('connection', 'close');
    pending.add(res);
    const done = () => pending.delete(res);
    res.once('finish', done);
    res.once('close', done);
  });

  let started: Promise<number> | undefined;

  function drain(): Promise<boolean> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (complete: boolean) => {
        if (settled) return;
        settled = true;
        clearInterval(sweep);
        clearTimeout(bound);
        resolve(complete);
      };
      // Stops listening now; the callback runs once every connection has ended.
      server.close(() => finish(true));
      for (const res of pending) if (!res.headersSent) res.setHeader('connection', 'close');
      server.closeIdleConnections();
      // A connection whose answer was already being written when shutdown began becomes idle
      // when it ends: close it then, not at the bound.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const bound = setTimeout(() => finish(false), drainMs);
    });
  }

  async function run(reason: string): Promise<number> {
    const startedAt = Date.now();
    controller.abort();
    for (const res of pending) if (!res.headersSent) res.setHeader('connection', 'close');
    if (lingerMs > 0) {
      log(
        `shutting down (${reason}): /readyz answers 503; accepting connections for ${lingerMs / 1000} s more`,
      );
      await new Promise((resolve) => setTimeout(resolve, lingerMs));
    }
    const inFlight = pending.size;
    log(
      `shutting down (${reason}): refusing new connections, waiting up to ${drainMs / 1000} s for ${inFlight} request${inFlight === 1 ? '' : 's'} in flight`,
    );
    let code = 0;
    if (!(await drain())) {
      const left = pending.size;
      server.closeAllConnections();
      log(
        `shutdown: ${left} request${left === 1 ? '' : 's'} still in flight after ${drainMs / 1000} s; their connections were closed`,
      );
      code = 1;
    }
    const backstop = setTimeout(() => {
      log(`shutdown: cleanup did not finish within ${cleanupMs / 1000} s; exiting`);
      exit(1);
    }, cleanupMs);
    try {
      for (const step of options.cleanup) {
        try {
          await step();
        } catch (error) {
          // The error's name only: a driver message can carry a connection string.
          log(`shutdown: a cleanup step failed (${error instanceof Error ? error.name : typeof error})`);
          code = 1;
        }
      }
    } finally {
      clearTimeout(backstop);
    }
    if (code === 0) log(`shutdown: done in ${Date.now() - startedAt} ms`);
    exit(code);
    return code;
  }

  return (reason) => {
    started ??= run(reason);
    return started;
  };
}
