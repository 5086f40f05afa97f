import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecret } from '@kit/core';

/** The demo's configuration, from the environment (all optional). */
export interface DemoConfig {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  issuer: string;
  audience: string;
  accessTokenTtl: number;
  sessionIdleTtl: number;
  sessionMaxAge: number;
  reuseGrace: number;
  /** KIT_SIGNING_KEYS when set; otherwise keys live in the database key store. */
  signingKeys: string | undefined;
  secret: string;
  dataDir: string;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number of seconds.`);
  return value;
}

/**
 * Refuses a secret file that the group or others may read or write, as ssh refuses such a private
 * key. Not repaired: whoever could read it may have copied it already, so the person running the
 * demo decides (tighten it if nobody else could have read it, or delete it to make a new secret).
 */
function checkPrivate(path: string): void {
  if (process.platform === 'win32') return; // no POSIX mode bits to check
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  throw new Error(
    `${path} can be read or changed by users other than its owner (mode ${mode.toString(8).padStart(4, '0')}); anyone who read it could forge refresh tokens. If nobody else can have read it, run \`chmod 600 ${path}\`; otherwise delete it (a new secret is generated and every session ends).`,
  );
}

/** Reads a file of `.data/` (refusing one others can read), or creates it readable by the owner only. */
function persisted(path: string, make: () => Promise<string> | string): Promise<string> | string {
  if (existsSync(path)) {
    checkPrivate(path);
    return readFileSync(path, 'utf8').trim();
  }
  return Promise.resolve(make()).then((value) => {
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    return value;
  });
}

export async function loadConfig(env: NodeJS.ProcessEnv, dataDir: string): Promise<DemoConfig> {
  const port = env.PORT ? Number(env.PORT) : 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be a port number.');
  const host = env.HOST || '127.0.0.1';
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  return {
    port,
    host,
    databaseUrl: env.DATABASE_URL || undefined,
    issuer: env.KIT_ISSUER || origin,
    audience: env.KIT_AUDIENCE || origin,
    accessTokenTtl: seconds(env, 'KIT_ACCESS_TTL', 300),
    sessionIdleTtl: seconds(env, 'KIT_SESSION_IDLE_TTL', 2_592_000),
    sessionMaxAge: seconds(env, 'KIT_SESSION_MAX_AGE', 7_776_000),
    reuseGrace: seconds(env, 'KIT_REUSE_GRACE', 10),
    signingKeys: env.KIT_SIGNING_KEYS || undefined,
    secret: env.KIT_SECRET || (await persisted(join(dataDir, 'secret'), generateSecret)),
    dataDir,
  };
}
