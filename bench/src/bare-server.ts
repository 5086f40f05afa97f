/**
 * The bare servers of the HTTP figures, in a process of their own so that each server's CPU per
 * request is read from its own process's CPU time, next to the kit's server (http-server.ts). One
 * `node:http` server on 127.0.0.1 answers the two paths the kit's figures are held against, doing
 * only what each strictly takes, with `node:http`, `pg` and `node:crypto`:
 *
 * - `POST /token`, the limit of the kit's refresh: reads the form body, takes the SHA-256 of the
 *   presented secret, runs ONE compare-and-set `UPDATE … RETURNING` (a named prepared statement
 *   through a `pg.Pool`) on `bare_sessions`, a table shaped like `kit_sessions`, draws a new random
 *   secret, signs one ES256 RFC 9068 access token with `node:crypto` (the kit's header and claims,
 *   same shape and size) and answers the RFC 6749 JSON with `Content-Length`. No grouping of
 *   rotations, no token tag, no reuse detection, no telemetry, no logging: a refresh token is
 *   `<session id>.<secret, base64url>`, and the client chains it as it chains the kit's.
 * - `GET /me`, the limit of `createBearerAuth`: header check, ES256 `crypto.verify` of the kit's
 *   token with the kit's public key, `iss`/`aud`/`exp`, the claims as JSON;
 * - with `BENCH_BARE_HONO=1`, the same `GET /me` in a Hono app under `@hono/node-server` on a
 *   second port: the bare verifier's work on the framework the kit's server runs on, the floor
 *   of `createBearerAuth` in that framework.
 *
 * `bare_sessions` is created (`like kit_sessions including all`, with the kit's fillfactor) when
 * the process starts, on the bench database where the kit's migrations ran, and filled with a
 * copy of the rows `kit_sessions` holds at that moment, so both tables and their primary-key
 * indexes start the same size; `sessions` then opens sessions as `kit.createSession` does (one row
 * each, generation 0, the SHA-256 of a random 32-byte secret, the kit's default lifetimes).
 *
 * Environment (set by http.ts): `BENCH_BARE_DATABASE_URL`, `BENCH_BARE_POOL_SIZE`, and
 * `BENCH_BARE_VERIFY`, the JSON of `{ jwk, issuer, audience }` of the kit server whose tokens
 * `GET /me` verifies (a public key), and `BENCH_BARE_HONO=1` for the framework floor of `GET /me`
 * (below, on `honoPort`).
 *
 * Ready with `{ port, honoPort }`, it answers the parent (`@kit/test-support/child-process`): `sessions`
 * `{ count }` (that many new sessions, their refresh tokens), `stats` (CPU and event-loop
 * counters of this process, and its pid), `stop`.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  randomBytes,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { answerParent } from '@kit/test-support/child-process';
import pg from 'pg';

const databaseUrl = process.env.BENCH_BARE_DATABASE_URL;
const poolSize = Number(process.env.BENCH_BARE_POOL_SIZE ?? 16);
const verifying = process.env.BENCH_BARE_VERIFY;
if (!databaseUrl || !verifying) throw new Error('bare-server.ts is started by bench/src/http.ts.');
const kitToken = JSON.parse(verifying) as {
  jwk: JsonWebKey & { kid: string };
  issuer: string;
  audience: string;
};

/** The bench kit's access-token lifetime (`accessTokenTtl: '1h'` in http-server.ts). */
const ACCESS_TOKEN_TTL_SECONDS = 3600;
/** The kit's default lifetimes: idle 30 days, absolute 90 days (`DEFAULTS` of @kit/core). */
const IDLE_TTL_MS = 30 * 86_400_000;
const MAX_AGE_MS = 90 * 86_400_000;
/** The kit's default `clientId`. */
const CLIENT_ID = 'default';
/** The kit's `POST /token` refuses bodies over 16 KiB; so does this one. */
const MAX_BODY_BYTES = 16 * 1024;

// --- POST /token --------------------------------------------------------------------------------

const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, keepAlive: true });

const setup = await pool.connect();
try {
  // `like … including all` copies the kit's columns, defaults, constraints and indexes; the
  // fillfactor (a storage parameter) is the migration's, so rotations are HOT updates here too.
  await setup.query('drop table if exists bare_sessions');
  await setup.query('create table bare_sessions (like kit_sessions including all) with (fillfactor = 85)');
  await setup.query('insert into bare_sessions select * from kit_sessions');
} finally {
  setup.release();
}

/**
 * The compare-and-set: the row moves on only if it still holds the presented secret's hash and
 * the session is live; 0 rows means the token is stale, revoked or expired.
 */
const ROTATE = {
  name: 'bare_rotate_session',
  text: `update bare_sessions set
      generation = generation + 1,
      secret_hash = $3,
      rotated_at = $4,
      last_refreshed_at = $4,
      idle_expires_at = least($5::timestamptz, absolute_expires_at)
    where id = $1 and secret_hash = $2 and revoked_at is null
      and idle_expires_at > $4 and absolute_expires_at > $4
    returning user_id, client_id`,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** `<uuid>.<32 bytes in unpadded base64url>`. */
const REFRESH_TOKEN_LENGTH = 36 + 1 + 43;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();
const refreshToken = (id: string, secret: Buffer) => `${id}.${secret.toString('base64url')}`;

// A key of its own, with an RFC 7638 thumbprint as its kid like the kit's, so the header is the
// kit's shape and size.
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const own = publicKey.export({ format: 'jwk' });
const kid = createHash('sha256')
  .update(JSON.stringify({ crv: own.crv, kty: own.kty, x: own.x, y: own.y }))
  .digest('base64url');
const HEADER = Buffer.from(JSON.stringify({ alg: 'ES256', kid, typ: 'at+jwt' })).toString('base64url');

/** One RFC 9068 access token: the kit's claims in the kit's order, signed ES256. */
function accessToken(subject: string, clientId: string, sessionId: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const claims = JSON.stringify({
    iss: kitToken.issuer,
    sub: subject,
    aud: kitToken.audience,
    client_id: clientId,
    iat,
    exp: iat + ACCESS_TOKEN_TTL_SECONDS,
    jti: randomUUID(),
    sid: sessionId,
  });
  const input = `${HEADER}.${Buffer.from(claims).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    // RFC 6749 §5.1: token responses are not cached.
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function refresh(body: string, res: ServerResponse): Promise<void> {
  const form = new URLSearchParams(body);
  if (form.get('grant_type') !== 'refresh_token') return json(res, 400, { error: 'unsupported_grant_type' });
  const presented = form.get('refresh_token');
  if (presented === null || presented.length !== REFRESH_TOKEN_LENGTH || presented[36] !== '.') {
    return json(res, 400, { error: 'invalid_grant' });
  }
  const id = presented.slice(0, 36);
  const secret = Buffer.from(presented.slice(37), 'base64url');
  if (!UUID.test(id) || secret.length !== 32) return json(res, 400, { error: 'invalid_grant' });
  const next = randomBytes(32);
  const nowMs = Date.now();
  const result = await pool.query<{ user_id: string; client_id: string }>({
    ...ROTATE,
    values: [
      id,
      sha256(secret),
      sha256(next),
      new Date(nowMs).toISOString(),
      new Date(nowMs + IDLE_TTL_MS).toISOString(),
    ],
  });
  const row = result.rows[0];
  if (row === undefined) return json(res, 400, { error: 'invalid_grant' });
  json(res, 200, {
    access_token: accessToken(row.user_id, row.client_id, id, nowMs),
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refreshToken(id, next),
  });
}

function token(req: IncomingMessage, res: ServerResponse): void {
  const type = req.headers['content-type'] ?? '';
  if (type.split(';', 1)[0]!.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
    json(res, 400, { error: 'invalid_request' });
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) return json(res, 413, { error: 'invalid_request' });
    refresh(Buffer.concat(chunks, size).toString(), res).catch(() => {
      // The database failed: nothing about the request is logged (it carries a token).
      if (!res.headersSent) json(res, 503, { error: 'temporarily_unavailable' });
    });
  });
}

// --- GET /me ------------------------------------------------------------------------------------

const kitKey = createPublicKey({ key: kitToken.jwk, format: 'jwk' });

/** The answer to `GET /me` with this Authorization header: the claims as JSON, or 401. */
function verifyMe(header: string | undefined): { status: 200; body: string } | { status: 401 } {
  const presented = header?.startsWith('Bearer ') ? header.slice(7) : '';
  const [h = '', p = '', s = ''] = presented.split('.');
  try {
    const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    if (head.alg !== 'ES256' || head.typ !== 'at+jwt' || head.kid !== kitToken.jwk.kid)
      throw new Error('header');
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: kitKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    );
    if (!ok) throw new Error('signature');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    if (claims.iss !== kitToken.issuer || claims.aud !== kitToken.audience) throw new Error('claims');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) throw new Error('exp');
    return { status: 200, body: JSON.stringify(claims) };
  } catch {
    return { status: 401 };
  }
}

const UNAUTHORIZED = { 'www-authenticate': 'Bearer error="invalid_token"' };

function me(req: IncomingMessage, res: ServerResponse): void {
  const answer = verifyMe(req.headers.authorization);
  if (answer.status === 200) {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(answer.body),
    });
    res.end(answer.body);
  } else {
    res.writeHead(401, { ...UNAUTHORIZED, 'content-length': 0 });
    res.end();
  }
}

// --- the server ---------------------------------------------------------------------------------

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/token') return token(req, res);
  if (req.method === 'GET' && req.url === '/me') return me(req, res);
  req.resume();
  res.writeHead(404, { 'content-length': 0 });
  res.end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

/**
 * With `BENCH_BARE_HONO=1`, the framework floor of `GET /me`: the same verification in a Hono
 * handler under `@hono/node-server`, as the kit's server runs (the header through `c.req.header`,
 * the claims' JSON answered through `c.body`), on a port of its own. Hono is loaded only then, so
 * the memory bench's bare server carries none of it.
 */
async function startHonoFloor(): Promise<number> {
  const [{ Hono }, { serve }] = await Promise.all([import('hono'), import('@hono/node-server')]);
  const app = new Hono();
  app.get('/me', (c) => {
    const answer = verifyMe(c.req.header('authorization'));
    return answer.status === 200
      ? c.body(answer.body, 200, { 'content-type': 'application/json' })
      : c.body(null, 401, UNAUTHORIZED);
  });
  const floor = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => floor.once('listening', () => resolve()));
  closeFloor = () => floor.close();
  return (floor.address() as AddressInfo).port;
}
let closeFloor = () => {};
const honoPort = process.env.BENCH_BARE_HONO === '1' ? await startHonoFloor() : undefined;

answerParent({
  ready: { port: (server.address() as AddressInfo).port, honoPort },
  handlers: {
    async sessions({ count }) {
      const tokens: string[] = [];
      for (let i = 0; i < Number(count ?? 1); i++) {
        const id = randomUUID();
        const secret = randomBytes(32);
        const now = Date.now();
        await pool.query(
          `insert into bare_sessions (id, user_id, client_id, created_at, last_refreshed_at,
             idle_expires_at, absolute_expires_at, generation, secret_hash)
           values ($1, $2, $3, $4, $4, $5, $6, 0, $7)`,
          [
            id,
            `bench-bare-${process.pid}-${i}-${now}`,
            CLIENT_ID,
            new Date(now),
            new Date(now + IDLE_TTL_MS),
            new Date(now + MAX_AGE_MS),
            sha256(secret),
          ],
        );
        tokens.push(refreshToken(id, secret));
      }
      return tokens;
    },
    stats: () => ({ cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), pid: process.pid }),
  },
  async stop() {
    server.close();
    closeFloor();
    await pool.end();
  },
});
