import type { Server } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import { createHealthRoutes } from '@kit/hono';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest } from '../test/http-client.ts';
import { createGracefulShutdown, type GracefulShutdownOptions } from './graceful-shutdown.ts';

/**
 * The shutdown sequence on a real `node:http` server (what `serve()` returns), with a route whose
 * answer the test releases: what a request in flight, a new connection, an idle keep-alive
 * connection and `/readyz` see, the order of the cleanup steps, and the bound.
 */

interface Harness {
  url: string;
  port: number;
  server: Server;
  /** Resolves once `/slow` has been entered. */
  entered: Promise<void>;
  release(): void;
  shutdown: ReturnType<typeof createGracefulShutdown>;
  lines: string[];
  exits: number[];
  steps: string[];
}

const open: Server[] = [];
afterEach(() => {
  for (const server of open.splice(0)) server.closeAllConnections();
});

async function start(options: Partial<GracefulShutdownOptions> = {}): Promise<Harness> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered!: () => void;
  const enteredPromise = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const controller = new AbortController();
  const app = new Hono();
  app.route(
    '/',
    createHealthRoutes({
      kit: { checkReady: async () => ({ ready: true, checks: { database: 'ok', signingKeys: 'ok' } }) },
      signal: controller.signal,
      cacheFor: 0,
    }),
  );
  app.get('/slow', async (c) => {
    entered();
    await released;
    return c.json({ done: true });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  open.push(server);
  const port = (server.address() as { port: number }).port;
  const lines: string[] = [];
  const exits: number[] = [];
  const steps: string[] = [];
  const shutdown = createGracefulShutdown({
    server,
    controller,
    drainMs: 2000,
    cleanup: [() => void steps.push('pruner'), async () => void steps.push('pools')],
    log: (line) => lines.push(line),
    exit: (code) => void exits.push(code),
    ...options,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    entered: enteredPromise,
    release,
    shutdown,
    lines,
    exits,
    steps,
  };
}

/** Whether a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** The head of the answer to `GET path` sent on a fresh keep-alive connection (the client asks to keep it). */
async function keepAliveHead(port: number, path: string): Promise<string> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let text = '';
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\r\n\r\n')) resolve();
    });
    socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: keep-alive\r\n\r\n`);
  });
  socket.destroy();
  return text.split('\r\n\r\n')[0]!.toLowerCase();
}

/** A keep-alive connection that has answered one request and now sits idle; resolves when it closes. */
async function idleKeepAlive(port: number): Promise<{ closed: Promise<void> }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('data', () => resolve());
    socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: keep-alive\r\n\r\n');
  });
  return { closed };
}

describe('createGracefulShutdown', () => {
  it('finishes the request in flight, refuses new connections, closes idle ones, then cleans up and exits 0', async () => {
    const h = await start();
    const idle = await idleKeepAlive(h.port);
    const inFlight = httpRequest(`${h.url}/slow`);
    await h.entered;

    const done = h.shutdown('SIGTERM');
    // Idle keep-alive connections are closed at once, not at the bound.
    await idle.closed;
    expect(await refused(h.port)).toBe(true);
    expect(h.steps).toEqual([]); // nothing is closed under a request in flight
    await sleep(100);
    h.release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ done: true });
    expect(answer.headers.connection).toBe('close');

    expect(await done).toBe(0);
    expect(h.steps).toEqual(['pruner', 'pools']);
    expect(h.exits).toEqual([0]);
    expect(h.lines.at(-1)).toMatch(/^shutdown: done in \d+ ms$/);
    expect(h.lines[0]).toMatch(
      /^shutting down \(SIGTERM\): refusing new connections, waiting up to 2 s for 1 request in flight$/,
    );
  });

  it('is idempotent: a second signal joins the first shutdown', async () => {
    const h = await start();
    const first = h.shutdown('SIGTERM');
    const second = h.shutdown('SIGINT');
    expect(await first).toBe(0);
    expect(await second).toBe(0);
    expect(h.exits).toEqual([0]);
    expect(h.steps).toEqual(['pruner', 'pools']);
  });

  it('past the bound, destroys what is left, says so in one line and exits 1', async () => {
    const h = await start({ drainMs: 500 });
    const inFlight = httpRequest(`${h.url}/slow`).then(
      () => 'answered',
      () => 'cut',
    );
    await h.entered;
    const started = performance.now();
    expect(await h.shutdown('SIGTERM')).toBe(1);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2000);
    expect(await inFlight).toBe('cut');
    expect(h.lines).toContain(
      'shutdown: 1 request still in flight after 0.5 s; their connections were closed',
    );
    expect(h.steps).toEqual(['pruner', 'pools']); // the pools are still closed
    expect(h.exits).toEqual([1]);
    h.release();
  });

  it('a failing cleanup step is logged by name, the others still run, and the exit code is 1', async () => {
    const h = await start({
      cleanup: [
        () => {
          throw new Error('postgres://user:secret@db/app');
        },
        async () => undefined,
      ],
    });
    expect(await h.shutdown('SIGTERM')).toBe(1);
    expect(h.lines.join('\n')).toContain('shutdown: a cleanup step failed (Error)');
    expect(h.lines.join('\n')).not.toContain('secret');
  });

  it('with lingerMs, /readyz answers 503 at once while new connections are still served', async () => {
    const h = await start({ lingerMs: 600 });
    expect((await httpRequest(`${h.url}/readyz`)).status).toBe(200);
    expect(await keepAliveHead(h.port, '/healthz')).toContain('connection: keep-alive');
    const done = h.shutdown('SIGTERM');
    // A keep-alive client is told to go: its next request opens a connection the balancer routes elsewhere.
    expect(await keepAliveHead(h.port, '/healthz')).toContain('connection: close');
    const readyz = await httpRequest(`${h.url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(readyz.headers['retry-after']).toBe('5');
    expect(JSON.parse(readyz.text)).toEqual({ status: 'unavailable', reason: 'shutting_down' });
    expect(readyz.headers.connection).toBe('close');
    expect((await httpRequest(`${h.url}/healthz`)).status).toBe(200);
    expect(await done).toBe(0);
    expect(await refused(h.port)).toBe(true);
  });
});
