import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy between an application and PostgreSQL that a test can cut and restore, to stage a
 * database outage without touching the database server itself.
 */

/** How a cut proxy treats the app's connections. */
export type CutMode =
  /** The listener is closed: new connections are refused (ECONNREFUSED). */
  | 'refuse'
  /** New connections are accepted and then held: nothing is forwarded or answered, ever. */
  | 'blackhole'
  /**
   * A network partition: open connections are not closed but go silent (bytes are held, not
   * forwarded, and delivered when the partition heals), and new connections are held as in
   * `blackhole`. Only timeouts can end the app's waits.
   */
  | 'partition'
  /**
   * A pooler with no server connection to give (PgBouncer queueing a client's statement until
   * `query_wait_timeout`): open connections stay open and what the app sends is read and held by
   * the proxy, not forwarded; new connections are held as in `blackhole`. On restore, a held
   * connection whose app is still there gets what it sent delivered; one the app closed meanwhile
   * loses it, as a pooler drops the queued statements of a client that left.
   */
  | 'stall';

export interface OutageProxy {
  port: number;
  /** Connections accepted while black-holed (the app did try to reach the database). */
  held: number;
  /** Destroys every open connection (or, for a partition, silences it), then refuses or holds new ones. */
  cut(mode: CutMode): Promise<void>;
  /** Forwards to PostgreSQL again, on the same port (nothing to do if not cut). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1, at a free port, forwarding every connection to `target`. */
export async function startProxy(target: { host: string; port: number }): Promise<OutageProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<{
    client: Socket;
    upstream: Socket;
    held?: Buffer[];
    hold?: (chunk: Buffer) => void;
  }>();
  let mode: 'open' | CutMode = 'open';
  let listening = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server: Server = createServer((client) => {
    track(client);
    if (mode !== 'open') {
      proxy.held += 1;
      return;
    }
    const upstream = tcpConnect(target.port, target.host);
    track(upstream);
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        listening = true;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      listening = false;
      server.close(() => resolve());
    });
  await listen(0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The proxy has no TCP port.');
  const proxy: OutageProxy = {
    port: address.port,
    held: 0,
    async cut(next) {
      mode = next;
      if (next === 'partition') {
        for (const { client, upstream } of pairs) {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.pause();
          upstream.pause();
        }
        return;
      }
      if (next === 'stall') {
        for (const pair of pairs) {
          const held: Buffer[] = [];
          pair.held = held;
          pair.hold = (chunk) => held.push(chunk);
          pair.client.unpipe(pair.upstream);
          pair.upstream.unpipe(pair.client);
          pair.upstream.pause();
          pair.client.on('data', pair.hold);
        }
        return;
      }
      for (const socket of sockets) socket.destroy();
      if (next === 'refuse') await stopListening();
    },
    async restore() {
      if (mode === 'open') return;
      const healed = mode === 'partition' || mode === 'stall';
      mode = 'open';
      for (const socket of sockets) {
        // Connections held while cut were never forwarded: the app has given up on them.
        if (![...pairs].some((p) => p.client === socket || p.upstream === socket)) socket.destroy();
      }
      if (healed) {
        // The partition heals (or the pooler gets a server connection): what each side sent
        // meanwhile is delivered.
        for (const pair of pairs) {
          const { client, upstream } = pair;
          // A pair whose app left is gone, and what it held with it (see the client's 'close').
          if (pair.hold) client.off('data', pair.hold);
          for (const chunk of pair.held ?? []) upstream.write(chunk);
          delete pair.held;
          delete pair.hold;
          client.pipe(upstream);
          upstream.pipe(client);
        }
      } else {
        for (const socket of sockets) socket.destroy();
      }
      if (!listening) await listen(proxy.port);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (listening) await stopListening();
    },
  };
  return proxy;
}

/**
 * Starts a proxy in front of the PostgreSQL server of `databaseUrl` and returns it with the URL
 * that reaches the same database through it.
 */
export async function proxyDatabase(databaseUrl: string): Promise<{ proxy: OutageProxy; url: string }> {
  const direct = new URL(databaseUrl);
  const proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return { proxy, url: proxied.toString() };
}
