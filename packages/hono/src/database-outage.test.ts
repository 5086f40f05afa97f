import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AuthKit, createAuthKit } from '@kit/core';
import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import { createTestLogger, TEST_SECRET, testKeys } from '@kit/test-support';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { bearer, form, post, type TokenBody } from '@kit/test-support/http';
import { type CutMode, type OutageProxy, proxyDatabase } from '@kit/test-support/tcp-proxy';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createBearerAuth } from './create-bearer-auth.ts';
import { createKitRoutes } from './create-kit-routes.ts';

/**
 * The contract's database-outage promise, proved through a TCP proxy this test controls between the
 * kit and PostgreSQL: while the proxy is cut, `/token` and the session routes answer 503
 * `temporarily_unavailable` with `Retry-After` within 5 s and Bearer-only routes keep answering 200;
 * once it is restored, the same kit (no restart) works again, every session opened before the cut
 * still refreshes and none was revoked.
 */

/** Every answer must come well inside the contract's 5 s, even on a busy machine. */
const LIMIT_MS = 5_000;

interface Timed {
  res: Response;
  ms: number;
}

async function timed(request: () => Promise<Response> | Response): Promise<Timed> {
  const start = performance.now();
  const res = await request();
  return { res, ms: performance.now() - start };
}

/** Asserts the outage answer: 503 `temporarily_unavailable`, `Retry-After`, no token echoed, fast. */
async function expectUnavailable({ res, ms }: Timed, label: string) {
  expect(ms, `${label} answered after ${Math.round(ms)} ms`).toBeLessThan(LIMIT_MS);
  expect(res.status, label).toBe(503);
  expect(res.headers.get('retry-after'), label).toMatch(/^\d+$/);
  const text = await res.text();
  expect(text).not.toContain('kit_rt_');
  expect((JSON.parse(text) as { error: string }).error, label).toBe('temporarily_unavailable');
}

/** One client of the app: a session and its tokens as last successfully rotated. */
interface Client {
  id: string;
  refreshToken: string;
  accessToken: string;
}

describe('database outage through a TCP proxy', () => {
  let db: TestDatabase;
  let proxy: OutageProxy;
  let orm: MikroORM;
  let kit: AuthKit;
  let app: Hono;
  const { logger, lines: logs } = createTestLogger();

  beforeAll(async () => {
    db = await createTestDatabase();
    const through = await proxyDatabase(db.url);
    proxy = through.proxy;
    orm = await createKitOrm({ databaseUrl: through.url, timeoutMs: 1000 });
    await migrate(orm);
    kit = await createAuthKit({
      issuer: 'https://auth.test',
      audience: 'https://api.test',
      secret: TEST_SECRET,
      signingKeys: await testKeys(),
      store: createMikroOrmStore({ orm }),
      // A client whose refresh committed just as the connection was cut never saw its new token;
      // it retries with the previous one after the outage, which must still fall inside the grace.
      reuseGrace: 60,
    });
    app = new Hono();
    app.route('/', createKitRoutes(kit, { rateLimit: false, logger }));
    app.get('/api/me', createBearerAuth({ kit, logger }), (c) => c.json({ sub: c.var.claims.sub }));
  });

  afterAll(async () => {
    await proxy?.restore();
    await orm?.close();
    await proxy?.close();
    await db?.drop();
  });

  const refresh = (token: string) =>
    post(app, '/token', form({ grant_type: 'refresh_token', refresh_token: token }));
  const listSessions = (accessToken: string) => app.request('/sessions', { headers: bearer(accessToken) });
  const me = (accessToken: string) => app.request('/api/me', { headers: bearer(accessToken) });

  /** Refreshes a client once; on 200 its tokens advance, any other answer leaves them as they were. */
  async function refreshClient(client: Client): Promise<Timed> {
    const result = await timed(() => refresh(client.refreshToken));
    if (result.res.status === 200) {
      const body = (await result.res.clone().json()) as TokenBody;
      client.refreshToken = body.refresh_token as string;
      client.accessToken = body.access_token;
    }
    return result;
  }

  /** Each client refreshes in a loop until stopped; every answer is recorded with its duration. */
  function startTraffic(clients: Client[]) {
    const answers: { status: number; error?: string; ms: number }[] = [];
    let running = true;
    const loops = clients.map(async (client) => {
      while (running) {
        const { res, ms } = await refreshClient(client);
        const entry: { status: number; error?: string; ms: number } = { status: res.status, ms };
        if (res.status !== 200) entry.error = ((await res.json()) as { error: string }).error;
        answers.push(entry);
        await sleep(res.status === 200 ? 25 : 100);
      }
    });
    return {
      answers,
      async stop() {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  async function openClients(userId: string, count: number): Promise<Client[]> {
    const clients: Client[] = [];
    for (let i = 0; i < count; i++) {
      const tokens = await kit.createSession({ userId, userAgent: `client-${i}` });
      clients.push({
        id: tokens.session.id,
        refreshToken: tokens.refreshToken,
        accessToken: tokens.accessToken,
      });
    }
    return clients;
  }

  async function outage(mode: CutMode) {
    const userId = `user-${mode}`;
    const clients = await openClients(userId, 6);
    const heldBefore = proxy.held;

    // Traffic flows, and is flowing when the proxy is cut.
    const traffic = startTraffic(clients);
    // A failed assertion must not leave the proxy cut or the clients looping for the next test.
    onTestFinished(async () => {
      await proxy.restore();
      await traffic.stop();
    });
    const warmUp = performance.now();
    while (traffic.answers.filter((a) => a.status === 200).length < 2 * clients.length) {
      expect(performance.now() - warmUp, 'traffic flows before the cut').toBeLessThan(LIMIT_MS);
      await sleep(20);
    }
    await proxy.cut(mode);
    const cutAt = performance.now();

    // While cut: /token and GET /sessions answer 503 quickly, several times, concurrently.
    const observed: Record<string, number[]> = { token: [], sessions: [], bearer: [] };
    for (let round = 0; round < 2; round++) {
      const [tokenAnswers, sessionAnswers, bearerAnswers] = await Promise.all([
        Promise.all(clients.slice(0, 3).map((c) => timed(() => refresh(c.refreshToken)))),
        Promise.all(clients.slice(0, 3).map((c) => timed(() => listSessions(c.accessToken)))),
        Promise.all(clients.map((c) => timed(() => me(c.accessToken)))),
      ]);
      for (const [i, answer] of tokenAnswers.entries()) {
        await expectUnavailable(answer, `POST /token (${mode}, round ${round}, client ${i})`);
        observed.token?.push(answer.ms);
      }
      for (const [i, answer] of sessionAnswers.entries()) {
        await expectUnavailable(answer, `GET /sessions (${mode}, round ${round}, client ${i})`);
        observed.sessions?.push(answer.ms);
      }
      for (const answer of bearerAnswers) {
        expect(answer.res.status).toBe(200);
        expect(await answer.res.json()).toEqual({ sub: userId });
        observed.bearer?.push(answer.ms);
      }
    }
    if (mode !== 'refuse') expect(proxy.held - heldBefore).toBeGreaterThan(0);
    const cutMs = performance.now() - cutAt;

    await proxy.restore();
    const restoredAt = performance.now();
    await traffic.stop();
    const stoppedMs = performance.now() - restoredAt;

    // Nothing the traffic got was anything but a rotation or the outage answer, and nothing hung.
    const statuses = new Set(traffic.answers.map((a) => `${a.status} ${a.error ?? ''}`.trim()));
    expect([...statuses].sort()).toEqual(
      [...statuses].filter((s) => s === '200' || s === '503 temporarily_unavailable').sort(),
    );
    expect(statuses.has('503 temporarily_unavailable')).toBe(true);
    const slowest = Math.max(...traffic.answers.map((a) => a.ms));
    expect(slowest).toBeLessThan(LIMIT_MS);

    // Restored: the same kit answers again once the pool has reconnected (allowed a few seconds).
    let recovered = false;
    let recoveryMs = 0;
    let refusedAfterRestore = 0;
    while (performance.now() - restoredAt < LIMIT_MS) {
      const res = await listSessions(clients[0]?.accessToken as string);
      if (res.status === 200) {
        recovered = true;
        recoveryMs = performance.now() - restoredAt;
        break;
      }
      expect(res.status).toBe(503);
      refusedAfterRestore += 1;
      await sleep(100);
    }
    expect(recovered, 'GET /sessions answers 200 again after the restore').toBe(true);

    // Every session opened before the cut refreshes with its token as last successfully rotated...
    for (const client of clients) {
      const before = client.refreshToken;
      const { res } = await refreshClient(client);
      expect(res.status, `session ${client.id} refreshes after the outage`).toBe(200);
      expect(client.refreshToken).not.toBe(before);
      // ...and once more with the new one, which a grace answer would not prove on its own.
      expect((await refreshClient(client)).res.status).toBe(200);
    }
    // ...none was revoked, and the session list is whole again.
    for (const client of clients) {
      expect((await kit.sessions.get(client.id))?.status, `session ${client.id}`).toBe('active');
    }
    const listed = await listSessions(clients[0]?.accessToken as string);
    expect(listed.status).toBe(200);
    const ids = ((await listed.json()) as { sessions: { id: string }[] }).sessions.map((s) => s.id).sort();
    expect(ids).toEqual(clients.map((c) => c.id).sort());

    // Store failures were logged by code only, as outages (warn: a 503).
    expect(logs.length).toBeGreaterThan(0);
    expect(new Set(logs.map((line) => JSON.stringify(line)))).toEqual(
      new Set([
        JSON.stringify({
          level: 'warn',
          fields: { code: 'ERR_STORE_UNAVAILABLE', status: 503 },
          message: 'kit: request failed',
        }),
      ]),
    );

    const max = (values: number[] | undefined) => Math.round(Math.max(...(values ?? [])));
    console.log(
      `database outage (${mode}): cut ${Math.round(cutMs)} ms; slowest 503 /token ${max(observed.token)} ms, ` +
        `/sessions ${max(observed.sessions)} ms; slowest Bearer 200 ${max(observed.bearer)} ms; ` +
        `traffic ${traffic.answers.length} answers, slowest ${Math.round(slowest)} ms; ` +
        `recovered ${Math.round(recoveryMs)} ms after the restore ` +
        `(${refusedAfterRestore} 503 first, traffic stopped at ${Math.round(stoppedMs)} ms)` +
        (mode !== 'refuse' ? `; ${proxy.held - heldBefore} connections held` : ''),
    );
  }

  it('refused connections: 503 within 5 s while cut, every session refreshes after', async () => {
    await outage('refuse');
  });

  it('black-holed connections: 503 within 5 s while cut, every session refreshes after', async () => {
    await outage('blackhole');
  });

  it('a network partition (silent open connections): 503 within 5 s while cut, every session refreshes after', async () => {
    await outage('partition');
  });
});
