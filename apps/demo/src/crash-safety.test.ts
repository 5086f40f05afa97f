import { setTimeout as sleep } from 'node:timers/promises';
import { generateSecret } from '@kit/core';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoProcess, startDemo, stopAllDemos } from '../test/demo-process.ts';
import {
  assertClientAddresses,
  clientAddress,
  type HttpAnswer,
  httpRequest,
  loginAt,
  refreshAt,
  refreshTokenFields,
} from '../test/http-client.ts';

/**
 * Crash safety, with the demo server as a real process: clients chain refreshes at `/token`, the
 * server is killed with SIGKILL mid-traffic and started again on the same database. Every session
 * must still refresh. A client whose answer was lost retries with its old token and gets the token
 * the lost answer carried (if the rotation had committed) or a fresh successor (if it had not);
 * either way its session is not revoked, and no session row is left half-rotated.
 */

const CLIENTS = 30;

/**
 * The kills, each at another moment: after this many refreshes since the server (re)started.
 * `afterCommit` kills at the worst instant for a client: the database has committed rotations whose
 * answers never leave the server. The test holds the session rows locked until rotations queue on
 * them, stops the server (SIGSTOP), releases the rows so those rotations commit, then kills it.
 */
const KILLS = [
  { after: 10, afterCommit: false },
  { after: 40, afterCommit: true },
  { after: 60, afterCommit: false },
] as const;

/** Liveness bound for waits on the database (never a figure the test asserts on). */
const WAIT_MS = 15_000;
/** How often a client presents its token again after 503 `temporarily_unavailable`. */
const RETRIES = 10;

interface Client {
  n: number;
  address: string;
  sessionId: string;
  /** The refresh token the client holds: the last one it received. */
  token: string;
  generation: number;
  /** The token the session started with, for the reuse control at the end. */
  first: string;
  inFlight: boolean;
  /** The answer to its last request never arrived (the server was killed). */
  lost: boolean;
  /**
   * Its last answer was 503 `temporarily_unavailable` (a busy machine can make the server wait too
   * long for a database connection): the rotation may or may not have committed, and the client
   * presents the same token again, as a real client would.
   */
  unsure: boolean;
  /** For a lost answer whose rotation committed: the secret hash the row holds since. */
  committedHash?: string | undefined;
}

interface Row {
  id: string;
  generation: number;
  hash: string;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

interface KillFigures {
  inFlight: number;
  unavailable: number;
  committed: number;
  notCommitted: number;
  restartMs: number;
}

describe('crash safety: the demo server killed with SIGKILL mid-traffic', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let env: Record<string, string>;
  let server: DemoProcess;

  beforeAll(async () => {
    await assertClientAddresses();
    db = await createTestDatabase();
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    env = {
      DATABASE_URL: db.url,
      KIT_SECRET: generateSecret(),
      KIT_ISSUER: 'http://auth.crash.test',
      KIT_AUDIENCE: 'http://api.crash.test',
      // A lost answer is retried after the restart; the restart's length on a busy machine is not
      // what this test measures, so the grace window is set beyond the longest start allowed.
      KIT_REUSE_GRACE: '120',
    };
    server = await startDemo('initial', env);
  }, 120_000);

  afterAll(async () => {
    await stopAllDemos();
    await sql?.end();
    await db?.drop();
  });

  async function readRows(): Promise<Map<string, Row>> {
    const result = await sql.query<Row>(
      `select id, generation, encode(secret_hash, 'hex') as hash, revoked_at, revoked_reason from kit_sessions`,
    );
    return new Map(result.rows.map((row) => [row.id, row]));
  }

  /** Polls the database until `query` returns a count meeting `done` (liveness-bounded). */
  async function waitForCount(query: string, done: (count: number) => boolean, what: string) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const result = await sql.query<{ n: number }>(query, [db.name]);
      if (done(result.rows[0]?.n ?? 0)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
  }
  const activeStatements = `select count(*)::int as n from pg_stat_activity
    where datname = $1 and pid <> pg_backend_pid() and state = 'active'`;
  const lockWaiters = `select count(*)::int as n from pg_stat_activity
    where datname = $1 and pid <> pg_backend_pid() and wait_event_type = 'Lock'`;

  /** Every client's session row: one per session, not revoked, matching the token it holds. */
  async function expectConsistent(clients: Client[], when: string) {
    const rows = await readRows();
    expect(rows.size, `${when}: one row per session`).toBe(clients.length);
    for (const client of clients) {
      const row = rows.get(client.sessionId);
      const label = `${when}: session of client ${client.n}`;
      expect(row, label).toBeDefined();
      expect(row?.revoked_at, `${label} is not revoked (${row?.revoked_reason})`).toBeNull();
      expect(row?.generation, `${label}: generation`).toBe(client.generation);
      expect(row?.hash, `${label}: current secret`).toBe(refreshTokenFields(client.token).secretHash);
    }
  }

  /** Takes a token answer for `client`: it must be the successor of the token it presented. */
  function advance(client: Client, answer: HttpAnswer, presentedGeneration: number): string | undefined {
    if (answer.status !== 200) return `client ${client.n}: ${answer.status} ${answer.text}`;
    const token = (JSON.parse(answer.text) as { refresh_token: string }).refresh_token;
    const fields = refreshTokenFields(token);
    if (fields.sessionId !== client.sessionId || fields.generation !== presentedGeneration + 1) {
      return `client ${client.n}: got generation ${fields.generation} of ${fields.sessionId} for generation ${presentedGeneration} of ${client.sessionId}`;
    }
    client.token = token;
    client.generation = presentedGeneration + 1;
    client.unsure = false;
    return undefined;
  }

  const isUnavailable = (answer: HttpAnswer) =>
    answer.status === 503 && answer.text.includes('"temporarily_unavailable"');

  /** Every client refreshes in a loop, back to back, until halted. */
  function startTraffic(url: string, clients: Client[]) {
    let running = true;
    let refreshes = 0;
    let unavailable = 0;
    const failures: string[] = [];
    const waiters: { count: number; resolve: () => void }[] = [];
    const notify = () => {
      for (const waiter of waiters.filter((w) => refreshes >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    };
    const loops = Promise.all(
      clients.map(async (client) => {
        while (running) {
          const presented = client.generation;
          client.inFlight = true;
          let answer: HttpAnswer;
          try {
            answer = await refreshAt(url, client.token, client.address);
          } catch (error) {
            client.inFlight = false;
            // Before the kill, no request may fail; after it, the answer was lost.
            if (running) failures.push(`client ${client.n}: request failed (${(error as Error).message})`);
            client.lost = true;
            return;
          }
          client.inFlight = false;
          if (isUnavailable(answer)) {
            client.unsure = true;
            unavailable += 1;
            await sleep(50);
            continue;
          }
          const failure = advance(client, answer, presented);
          if (failure) {
            failures.push(failure);
            return;
          }
          refreshes += 1;
          notify();
        }
      }),
    );
    return {
      failures,
      get refreshes() {
        return refreshes;
      },
      get unavailable() {
        return unavailable;
      },
      /** Resolves once `count` refreshes have succeeded, or every client has stopped. */
      reached(count: number): Promise<void> {
        return Promise.race([
          new Promise<void>((resolve) => waiters.push({ count, resolve })),
          loops.then(() => {}),
        ]);
      },
      /** No client starts another request; returns how many requests are in flight. */
      halt(): number {
        running = false;
        return clients.filter((c) => c.inFlight).length;
      },
      done: loops,
    };
  }

  it('every session survives repeated kills; lost answers are recovered without revoking anyone', async () => {
    // Each client logs in from its own address, as distinct devices would.
    const accessTokens: string[] = [];
    const clients: Client[] = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, n) => {
        const user = n % 2 === 0 ? 'alice' : 'bob';
        const answer = await loginAt(server.url, user, `${user}-password`, clientAddress(n));
        expect(answer.status, answer.text).toBe(200);
        const body = JSON.parse(answer.text) as { refresh_token: string; access_token: string };
        const token = body.refresh_token;
        accessTokens.push(body.access_token);
        const fields = refreshTokenFields(token);
        return {
          n,
          address: clientAddress(n),
          sessionId: fields.sessionId,
          token,
          generation: fields.generation,
          first: token,
          inFlight: false,
          lost: false,
          unsure: false,
        };
      }),
    );
    await expectConsistent(clients, 'after login');

    const figures: KillFigures[] = [];
    let totalRefreshes = 0;
    for (const [k, kill] of KILLS.entries()) {
      const traffic = startTraffic(server.url, clients);
      let locker: pg.Client | undefined;
      let inFlight: number;
      try {
        await traffic.reached(kill.after);
        expect(traffic.failures, `kill ${k}: traffic before the kill`).toEqual([]);
        if (kill.afterCommit) {
          // Hold every session row; rotations reaching the database queue on the locks.
          locker = new pg.Client({ connectionString: db.url });
          await locker.connect();
          await locker.query('begin');
          await locker.query('select id from kit_sessions for update');
          await waitForCount(lockWaiters, (n) => n >= 1, 'a rotation to queue on the held rows');
          server.signal('SIGSTOP');
          inFlight = traffic.halt();
          // The frozen server cannot read the answers: the rotations commit, their answers are lost.
          await locker.query('commit');
          await waitForCount(activeStatements, (n) => n === 0, 'the queued rotations to commit');
        } else {
          inFlight = traffic.halt();
        }
        await server.kill();
        await traffic.done;
      } finally {
        traffic.halt();
        await locker?.end().catch(() => undefined);
      }
      expect(traffic.failures, `kill ${k}: traffic`).toEqual([]);
      totalRefreshes += traffic.refreshes;

      // Dead server: the rows are as the last committed statements left them. A session is either
      // where its client thinks, or one rotation ahead if the client's answer was lost (or a 503).
      const rows = await readRows();
      expect(rows.size).toBe(CLIENTS);
      let committed = 0;
      let notCommitted = 0;
      for (const client of clients) {
        const row = rows.get(client.sessionId)!;
        expect(row.revoked_at, `kill ${k}: client ${client.n} revoked (${row.revoked_reason})`).toBeNull();
        if ((client.lost || client.unsure) && row.generation === client.generation + 1) {
          if (client.lost) committed += 1;
          client.committedHash = row.hash;
        } else {
          expect(row.generation, `kill ${k}: generation of client ${client.n}`).toBe(client.generation);
          expect(row.hash, `kill ${k}: secret of client ${client.n}`).toBe(
            refreshTokenFields(client.token).secretHash,
          );
          if (client.lost) notCommitted += 1;
        }
      }
      if (kill.afterCommit)
        expect(committed, `kill ${k}: rotations committed, answers lost`).toBeGreaterThan(0);

      let unavailable = traffic.unavailable;
      const restarting = performance.now();
      server = await startDemo(`restart ${k + 1}`, env);
      const restartMs = Math.round(performance.now() - restarting);
      // The restarted server signs with the key it stored before: access tokens issued at login
      // still verify.
      const me = await httpRequest(`${server.url}/me`, {
        headers: { authorization: `Bearer ${accessTokens[0]}` },
      });
      expect(me.status, `after restart ${k + 1}: /me with an access token from before`).toBe(200);

      // Every session refreshes once: lost clients with the old token they still hold (the grace
      // answer, or the rotation that never happened), the others with their current token.
      const failures = (
        await Promise.all(
          clients.map(async (client) => {
            const presented = client.generation;
            let answer = await refreshAt(server.url, client.token, client.address);
            for (let retry = 0; retry < RETRIES && isUnavailable(answer); retry++) {
              unavailable += 1;
              await sleep(100);
              answer = await refreshAt(server.url, client.token, client.address);
            }
            const failure = advance(client, answer, presented);
            if (failure) return `after restart ${k + 1}: ${failure}`;
            if (
              client.committedHash !== undefined &&
              refreshTokenFields(client.token).secretHash !== client.committedHash
            ) {
              return `after restart ${k + 1}: client ${client.n} got another token than the lost answer carried`;
            }
            client.lost = false;
            client.committedHash = undefined;
            return undefined;
          }),
        )
      ).filter((f) => f !== undefined);
      expect(failures).toEqual([]);
      totalRefreshes += CLIENTS;
      await expectConsistent(clients, `after restart ${k + 1}`);
      figures.push({ inFlight, unavailable, committed, notCommitted, restartMs });
    }

    // Control: the checks above do see a revocation. A replayed first token is reuse.
    const victim = clients[0]!;
    const replay = await refreshAt(server.url, victim.first, victim.address);
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.text)).toMatchObject({ error: 'invalid_grant' });
    const row = (await readRows()).get(victim.sessionId);
    expect(row?.revoked_reason).toBe('refresh_token_reused');

    console.info(
      `crash safety: ${KILLS.length} kills survived, ${CLIENTS} sessions checked after each; ` +
        `requests in flight at each kill ${figures.map((f) => f.inFlight).join('/')} ` +
        `(answered anyway ${figures.map((f) => f.inFlight - f.committed - f.notCommitted).join('/')}, ` +
        `lost after their rotation committed ${figures.map((f) => f.committed).join('/')}, ` +
        `lost before ${figures.map((f) => f.notCommitted).join('/')}); ${totalRefreshes} refreshes ` +
        `(503 under load: ${figures.reduce((sum, f) => sum + f.unavailable, 0)}); ` +
        `restarts ${figures.map((f) => f.restartMs).join('/')} ms`,
    );
  }, 240_000);
});
