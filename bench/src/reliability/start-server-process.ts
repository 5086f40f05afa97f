import { fileURLToPath } from 'node:url';
import { type CapturedLine, startChildProcess } from '@kit/test-support/child-process';

/** Configuration of the server process (server-process.ts), passed as JSON in its environment. */
export interface ServerProcessConfig {
  /** Where the kit's tables are (migrated at start). */
  databaseUrl: string;
  /** `KIT_SECRET`. */
  secret: string;
  /** `createKitOrm({ timeoutMs })`. */
  databaseTimeoutMs: number;
  accessTokenTtlSeconds: number;
  reuseGraceSeconds: number;
  /** How often the key ring reloads the key store; a rotated key signs this plus `jwksMaxAgeSeconds` later. */
  keyRefreshSeconds: number;
  jwksMaxAgeSeconds: number;
  pruneIntervalSeconds: number;
  /** Bytes retained per request, to plant a leak (0 in every real run). */
  leakBytesPerRequest: number;
  /** The query value of the edge verifier's JWKS and revocation-list URLs (never to be logged). */
  edgeUrlSecret: string;
}

/** What the server process reports about its memory. */
export interface ServerMemory {
  rss: number;
  heapUsed: number;
  external: number;
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

const ENTRY = fileURLToPath(new URL('./server-process.ts', import.meta.url));

const DEFAULTS: Omit<ServerProcessConfig, 'databaseUrl' | 'secret'> = {
  databaseTimeoutMs: 2000,
  accessTokenTtlSeconds: 3600,
  reuseGraceSeconds: 10,
  keyRefreshSeconds: 30,
  jwksMaxAgeSeconds: 300,
  pruneIntervalSeconds: 3600,
  leakBytesPerRequest: 0,
  edgeUrlSecret: 'none',
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
  const child = await startChildProcess<{ port: number }>({
    entry: ENTRY,
    name: 'the demo server process',
    execArgv: ['--expose-gc'],
    env: { KIT_RELIABILITY_SERVER: JSON.stringify({ ...DEFAULTS, ...config }) },
    ...(onLine ? { onLine } : {}),
  });
  return {
    url: `http://127.0.0.1:${child.ready.port}`,
    pid: child.pid,
    lines: child.lines,
    memory: (gc) => child.call('memory', { gc }),
    rotateKeys: () => child.call('rotate-keys'),
    createSessions: (userId, count) => child.call('sessions', { userId, count }),
    stop: () => child.stop(),
  };
}
