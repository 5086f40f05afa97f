import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateSecret } from '@kit/core';
import { createVerifier } from '@kit/core/verify';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { type OutageProxy, proxyDatabase } from '@kit/test-support/tcp-proxy';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoProcess, startDemo, stopAllDemos } from '../test/demo-process.ts';
import { httpRequest, loginAt, refreshTokenFields } from '../test/http-client.ts';

/**
 * The demo server as a real process: `/healthz` and `/readyz` through a database outage staged by
 * the TCP proxy, and its graceful shutdown with a `POST /token` in flight when SIGTERM arrives.
 */

const ISSUER = 'http://auth.shutdown.test';
const AUDIENCE = 'http://api.shutdown.test';
/** Both servers use one database, and so one key store: one secret. */
const SECRET = generateSecret();
/** The contract: a 503 with Retry-After within 5 s while the database is unreachable. */
const OUTAGE_ANSWER_MS = 5_000;
/** The demo's documented shutdown bound (requests in flight get 10 s), plus its cleanup. */
const SHUTDOWN_BOUND_MS = 10_000;

async function timedGet(url: string) {
  const started = performance.now();
  const answer = await httpRequest(url);
  return { ...answer, ms: performance.now() - started };
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

/** Everything a socket receives until the server closes it. */
function readToEnd(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.once('error', reject);
  });
}

/** Splits a raw HTTP/1.1 answer (Content-Length or chunked) into status, headers and body. */
function parseAnswer(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let decoded = '';
    let rest = body;
    for (;;) {
      const eol = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, eol), 16);
      if (!size) break;
      decoded += rest.slice(eol + 2, eol + 2 + size);
      rest = rest.slice(eol + 2 + size + 2);
    }
    body = decoded;
  } else {
    expect(Buffer.byteLength(body)).toBe(Number(headers['content-length']));
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body };
}

describe('demo health routes and graceful shutdown', () => {
  let db: TestDatabase;
  let sql: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await stopAllDemos();
    await sql?.end();
    await db?.drop();
  });

  describe('while the database goes away and comes back', () => {
    let proxy: OutageProxy;
    let demo: DemoProcess;

    beforeAll(async () => {
      const through = await proxyDatabase(db.url);
      proxy = through.proxy;
      demo = await startDemo('health', {
        DATABASE_URL: through.url,
        KIT_SECRET: SECRET,
        KIT_ISSUER: ISSUER,
        KIT_AUDIENCE: AUDIENCE,
      });
    }, 120_000);
    afterAll(async () => {
      await demo?.kill();
      await proxy?.close();
    });

    it('answers /readyz 503 with Retry-After within 5 s of a hanging database, /healthz 200, and ready again once it is back', async () => {
      const ready = await timedGet(`${demo.url}/readyz`);
      expect(ready.status, ready.text).toBe(200);
      expect(ready.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(ready.text)).toEqual({ status: 'ok', checks: { database: 'ok', signingKeys: 'ok' } });

      // Black-holed: connections are accepted and never answered, the worst case for a probe.
      await proxy.cut('blackhole');
      try {
        // The answer cached before the cut may be served for up to a second: wait it out.
        await sleep(1100);
        const down = await timedGet(`${demo.url}/readyz`);
        expect(down.ms, `/readyz answered after ${Math.round(down.ms)} ms`).toBeLessThan(OUTAGE_ANSWER_MS);
        console.info(`health: /readyz answered 503 ${Math.round(down.ms)} ms into a black-holed database`);
        expect(down.status, down.text).toBe(503);
        expect(down.headers['retry-after']).toMatch(/^\d+$/);
        expect(down.headers['cache-control']).toBe('no-store');
        const body = JSON.parse(down.text) as { status: string };
        expect(body.status).toBe('unavailable');
        expect(down.text).not.toMatch(/127\.0\.0\.1|postgres|ECONN|timeout exceeded/i);

        const health = await timedGet(`${demo.url}/healthz`);
        expect(health.status).toBe(200);
        expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
        expect(health.ms).toBeLessThan(1000);
      } finally {
        await proxy.restore();
      }

      // Back: ready again without a restart, within a few probes.
      const deadline = performance.now() + 15_000;
      let last = await timedGet(`${demo.url}/readyz`);
      while (last.status !== 200 && performance.now() < deadline) {
        await sleep(250);
        last = await timedGet(`${demo.url}/readyz`);
      }
      expect(last.status, last.text).toBe(200);
    }, 60_000);
  });

  describe('on SIGTERM with a POST /token in flight', () => {
    let demo: DemoProcess;

    beforeAll(async () => {
      demo = await startDemo('shutdown', {
        DATABASE_URL: db.url,
        KIT_SECRET: SECRET,
        KIT_ISSUER: ISSUER,
        KIT_AUDIENCE: AUDIENCE,
      });
    }, 120_000);
    afterAll(async () => {
      await demo?.kill();
    });

    it('completes the rotation and delivers the answer, refuses new connections, and exits 0 within the bound', async () => {
      const login = await loginAt(demo.url, 'alice', 'alice-password');
      expect(login.status, login.text).toBe(200);
      const refreshToken = (JSON.parse(login.text) as { refresh_token: string }).refresh_token;
      const jwks = JSON.parse((await httpRequest(`${demo.url}/.well-known/jwks.json`)).text);
      const port = Number(new URL(demo.url).port);

      // The request is in flight: head and half of the body sent, the rest held back by the client.
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      }).toString();
      const socket = connect({ port, host: '127.0.0.1' });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const answer = readToEnd(socket);
      const half = Math.floor(body.length / 2);
      socket.write(
        `POST /token HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
      );
      await sleep(300);

      const signalled = performance.now();
      demo.signal('SIGTERM');
      // New connections are refused soon after the signal...
      let isRefused = false;
      while (!isRefused && performance.now() - signalled < 3000) {
        isRefused = await refused(port);
        if (!isRefused) await sleep(50);
      }
      expect(isRefused, 'a new connection was still accepted 3 s after SIGTERM').toBe(true);
      expect(demo.output.join('\n')).toContain('shutting down (SIGTERM)');
      // ...while the process waits for the request in flight.
      const early = await Promise.race([demo.exited.then(() => 'exited'), sleep(200).then(() => 'running')]);
      expect(early).toBe('running');

      socket.write(body.slice(half));
      const parsed = parseAnswer(await answer);
      expect(parsed.status, parsed.body).toBe(200);
      expect(parsed.headers['cache-control']).toBe('no-store');
      expect(parsed.headers.connection).toBe('close');
      const tokens = JSON.parse(parsed.body) as {
        access_token: string;
        token_type: string;
        expires_in: number;
        refresh_token: string;
      };
      expect(tokens.token_type).toBe('Bearer');
      expect(tokens.expires_in).toBeGreaterThan(0);
      expect(tokens.refresh_token).not.toBe(refreshToken);

      // The answer is usable: the access token verifies with the keys the server published...
      const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks });
      const claims = await verify(tokens.access_token);
      expect(claims.sub).toBeTruthy();
      // ...and the rotation committed: the row holds the new refresh token as current.
      const fields = refreshTokenFields(tokens.refresh_token);
      const row = (
        await sql.query(
          "select generation, encode(secret_hash, 'hex') as hash, revoked_at from kit_sessions where id = $1",
          [fields.sessionId],
        )
      ).rows[0] as { generation: number; hash: string; revoked_at: Date | null };
      expect(row).toEqual({ generation: 1, hash: fields.secretHash, revoked_at: null });
      expect(fields.generation).toBe(1);

      const { code, signal } = await demo.exited;
      const elapsed = performance.now() - signalled;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(elapsed, `exited ${Math.round(elapsed)} ms after SIGTERM`).toBeLessThan(SHUTDOWN_BOUND_MS);
      console.info(
        `shutdown: exited 0 ${Math.round(elapsed)} ms after SIGTERM (including the time the test held the request body back)`,
      );
    }, 60_000);
  });
});
