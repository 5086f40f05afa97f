import { chmodSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  /**
   * The secret was generated into `dataDir/secret` by this start (none was there, and no
   * KIT_SECRET): data kept from before it (an embedded cluster whose secret file was deleted, or
   * that outlived a deleted checkout) was written under another secret.
   */
  secretIsNew: boolean;
  dataDir: string;
  /** KIT_RATE_LIMIT_LOGIN: logins per client address per minute at `/login`; 0 turns the limit off. */
  loginRateLimit: number;
  /**
   * KIT_RATE_LIMIT_TOKEN: requests per client address per minute at `/token`, and (counted apart)
   * at `/revoke`; 0 turns both limits off.
   */
  tokenRateLimit: number;
  /** REDIS_URL: when set, rate-limit counters live in this Redis rather than in PostgreSQL. */
  redisUrl: string | undefined;
  /**
   * KIT_ISSUER when it is an http(s) URL: the address browsers reach the demo at. Cookie mode then
   * allows that origin; otherwise (the default issuer, `http://HOST:PORT`) only loopback origins.
   */
  publicUrl: string | undefined;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number of seconds.`);
  return value;
}

function perMinute(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new Error(
      `${name} must be a whole number of requests per client address per minute (at most 999999999), or 0 to turn that limit off.`,
    );
  }
  return value;
}

function redisUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // Never echo the value: a Redis URL can carry a password.
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new Error('REDIS_URL must be a redis:// or rediss:// URL, such as redis://127.0.0.1:6379.');
  }
  return raw;
}

/** What a private file of `.data/` guards, for the sentence that refuses it. */
interface PrivateFile {
  /** What whoever read it could do. */
  harm: string;
  /** What to do when others may have read it. */
  otherwise: string;
}

const SECRET: PrivateFile = {
  harm: 'could forge refresh tokens',
  otherwise:
    'delete it (a new secret is generated and every session ends; the embedded PostgreSQL, whose signing keys were encrypted under the old one, is moved aside and started afresh)',
};

const POSTGRES_PASSWORD: PrivateFile = {
  harm: "could log in to the embedded PostgreSQL as its superuser, who can run programs as the server's user",
  otherwise:
    'delete it together with the postgres directory beside it (the demo starts afresh with a new cluster and password)',
};

/**
 * Refuses a secret file that is not this user's own regular file, or that the group or others may
 * read or write, as ssh refuses such a private key. Looked at with lstat: a symbolic link is
 * refused, not followed (whoever made it chooses what it points to). Not repaired: whoever could
 * read it may have copied it already, so the person running the demo decides (tighten it if nobody
 * else could have read it, or delete it to make a new one).
 */
function checkPrivate(path: string, file: PrivateFile): void {
  if (process.platform === 'win32') return; // no POSIX owners or mode bits to check
  const stats = lstatSync(path);
  if (!stats.isFile()) {
    throw new Error(
      `${path} is ${stats.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; anyone who chose what it holds ${file.harm}. Replace it with a regular file of your own, or delete it.`,
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new Error(
      `${path} belongs to another user (uid ${stats.uid}), not to the user running the demo (uid ${uid}); that user ${file.harm}. If the file is yours, run \`chown ${uid} ${path}\`; otherwise ${file.otherwise}.`,
    );
  }
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) === 0) return;
  throw new Error(
    `${path} can be read or changed by users other than its owner (mode ${mode.toString(8).padStart(4, '0')}); anyone who read it ${file.harm}. If nobody else can have read it, run \`chmod 600 ${path}\`; otherwise ${file.otherwise}.`,
  );
}

/** Reads a file of `.data/` (refusing one others can read), or creates it readable by the owner only. */
function persisted(path: string, make: () => Promise<string> | string): Promise<string> | string {
  // lstat, not exists: a dangling symbolic link must be refused, not written through.
  if (lstatSync(path, { throwIfNoEntry: false })) {
    checkPrivate(path, SECRET);
    return readFileSync(path, 'utf8').trim();
  }
  return Promise.resolve(make()).then((value) => {
    // O_EXCL: never through something that appeared there meanwhile.
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return value;
  });
}

function publicUrl(issuer: string | undefined): string | undefined {
  if (!issuer || !URL.canParse(issuer)) return undefined;
  const url = new URL(issuer);
  return url.protocol === 'https:' || url.protocol === 'http:'
    ? url.toString().replace(/\/$/, '')
    : undefined;
}

/**
 * Reads the demo's configuration from `env` (the variables of the contract, all optional),
 * refusing a bad value with one sentence that names the variable. Without `KIT_SECRET`, the secret
 * is read from (or generated into) `dataDir/secret`, a file only its owner may read.
 */
export async function loadConfig(env: NodeJS.ProcessEnv, dataDir: string): Promise<DemoConfig> {
  const port = env.PORT ? Number(env.PORT) : 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be a port number.');
  const host = env.HOST || '127.0.0.1';
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  // The embedded PostgreSQL's superuser password (see @kit/embedded-postgres): checked as the secret is.
  const postgresPassword = join(dataDir, 'postgres.password');
  if (!env.DATABASE_URL && lstatSync(postgresPassword, { throwIfNoEntry: false })) {
    checkPrivate(postgresPassword, POSTGRES_PASSWORD);
  }
  const secretFile = join(dataDir, 'secret');
  const secretIsNew = !env.KIT_SECRET && !lstatSync(secretFile, { throwIfNoEntry: false });
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
    secret: env.KIT_SECRET || (await persisted(secretFile, generateSecret)),
    secretIsNew,
    dataDir,
    loginRateLimit: perMinute(env, 'KIT_RATE_LIMIT_LOGIN', 20),
    tokenRateLimit: perMinute(env, 'KIT_RATE_LIMIT_TOKEN', 120),
    redisUrl: redisUrl(env),
    publicUrl: publicUrl(env.KIT_ISSUER),
  };
}
