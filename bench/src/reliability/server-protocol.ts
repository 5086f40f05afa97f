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
}

/** What the server process reports about its memory. */
export interface ServerMemory {
  rss: number;
  heapUsed: number;
  external: number;
}

/** A request to the server process over IPC. */
export type ServerRequest = { id: number } & (
  | { type: 'memory'; gc: boolean }
  | { type: 'rotate-keys' }
  | { type: 'sessions'; userId: string; count: number }
  | { type: 'stop' }
);

/** A message of the server process over IPC. */
export type ServerReply =
  | { type: 'ready'; port: number }
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'reply'; id: number; error: string };
