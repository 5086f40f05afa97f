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
 * Several instances, with the demo server as two real processes on one database, configured as a
 * deployment would be: the same KIT_SECRET, issuer and audience, and no KIT_SIGNING_KEYS, so the
 * signing keys come from the database key store. Tokens minted by one instance work at the other,
 * both publish the same JWKS, concurrent refreshes of one token spread over both get one successor,
 * and rate limits count the requests to both together.
 */

interface TokenBody {
  access_token: string;
  refresh_token: string;
}

interface SessionRow {
  generation: number;
  hash: string;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

const CONCURRENT = 20;
const CONCURRENT_ROUNDS = 3;

function tokens(answer: HttpAnswer, label: string): TokenBody {
  expect(answer.status, `${label}: ${answer.text}`).toBe(200);
  return JSON.parse(answer.text) as TokenBody;
}

function kidOf(accessToken: string): string {
  const header = JSON.parse(Buffer.from(accessToken.split('.')[0]!, 'base64url').toString()) as {
    kid: string;
  };
  return header.kid;
}

describe('two demo servers on one database', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let a: DemoProcess;
  let b: DemoProcess;
  const figures: string[] = [];

  beforeAll(async () => {
    await assertClientAddresses();
    db = await createTestDatabase();
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const env = {
      DATABASE_URL: db.url,
      KIT_SECRET: generateSecret(),
      KIT_ISSUER: 'http://auth.instances.test',
      KIT_AUDIENCE: 'http://api.instances.test',
    };
    // Both start at once on an empty database: both migrate it and look for a signing key.
    [a, b] = await Promise.all([startDemo('a', env), startDemo('b', env)]);
  }, 120_000);

  afterAll(async () => {
    await stopAllDemos();
    await sql?.end();
    await db?.drop();
    if (figures.length > 0) console.info(`instances: ${figures.join('; ')}`);
  });

  const both = () => [a, b] as const;
  const me = (server: DemoProcess, accessToken: string) =>
    httpRequest(`${server.url}/me`, { headers: { authorization: `Bearer ${accessToken}` } });

  async function sessionRow(id: string): Promise<SessionRow> {
    const result = await sql.query<SessionRow>(
      `select generation, encode(secret_hash, 'hex') as hash, revoked_at, revoked_reason from kit_sessions where id = $1`,
      [id],
    );
    expect(result.rows).toHaveLength(1);
    return result.rows[0]!;
  }

  async function expectVerifiedAtBoth(accessToken: string, sub: string, label: string) {
    for (const server of both()) {
      const answer = await me(server, accessToken);
      expect(answer.status, `${label}: /me at ${server.label}`).toBe(200);
      expect((JSON.parse(answer.text) as { sub: string }).sub).toBe(sub);
    }
  }

  it('share one signing key from the database key store, and publish the same JWKS', async () => {
    const [jwksA, jwksB] = await Promise.all(
      both().map((server) => httpRequest(`${server.url}/.well-known/jwks.json`)),
    );
    expect(jwksA?.status).toBe(200);
    expect(jwksB?.status).toBe(200);
    const keysA = (JSON.parse(jwksA!.text) as { keys: Record<string, unknown>[] }).keys;
    const keysB = (JSON.parse(jwksB!.text) as { keys: Record<string, unknown>[] }).keys;
    expect(keysA.length).toBeGreaterThan(0);
    expect(keysB).toEqual(keysA);
    for (const key of keysA) expect(key).not.toHaveProperty('d');
    // Started together on an empty database, they created exactly one key between them.
    const stored = await sql.query<{ kid: string }>('select kid from kit_signing_keys');
    expect(stored.rows.map((row) => row.kid)).toEqual(keysA.map((key) => key.kid));
    expect(stored.rows).toHaveLength(1);
    figures.push(`${stored.rows.length} signing key in the database, the same JWKS at both`);
  });

  it('refresh at one instance the tokens minted by the other, and verify each access token at both', async () => {
    const address = clientAddress(0);
    let current = tokens(await loginAt(a.url, 'alice', 'alice-password', address), 'login at a');
    const sessionId = refreshTokenFields(current.refresh_token).sessionId;
    await expectVerifiedAtBoth(current.access_token, 'user_alice', 'minted by a at login');
    const kids = new Set([kidOf(current.access_token)]);

    const hops = 8;
    for (let i = 0; i < hops; i++) {
      const server = i % 2 === 0 ? b : a;
      const presented = refreshTokenFields(current.refresh_token).generation;
      current = tokens(
        await refreshAt(server.url, current.refresh_token, address),
        `hop ${i} at ${server.label}`,
      );
      expect(refreshTokenFields(current.refresh_token)).toMatchObject({
        sessionId,
        generation: presented + 1,
      });
      await expectVerifiedAtBoth(current.access_token, 'user_alice', `minted by ${server.label} at hop ${i}`);
      kids.add(kidOf(current.access_token));
    }
    // One rotation per hop, in one row, matching the token the client holds.
    const row = await sessionRow(sessionId);
    expect(row).toMatchObject({ generation: hops, revoked_at: null });
    expect(row.hash).toBe(refreshTokenFields(current.refresh_token).secretHash);
    // Both sign with the shared key.
    expect(kids.size).toBe(1);

    // And the other way round: a session opened at b.
    const atB = tokens(await loginAt(b.url, 'bob', 'bob-password', address), 'login at b');
    await expectVerifiedAtBoth(atB.access_token, 'user_bob', 'minted by b at login');
    tokens(await refreshAt(a.url, atB.refresh_token, address), 'refresh at a of a token from b');
    figures.push(`${hops} refreshes alternating instances, each access token verified at both`);
  });

  it('give every one of concurrent refreshes of one token, spread over both, the same successor', async () => {
    const address = clientAddress(1);
    let current = tokens(await loginAt(b.url, 'alice', 'alice-password', address), 'login');
    const sessionId = refreshTokenFields(current.refresh_token).sessionId;
    for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
      const presented = refreshTokenFields(current.refresh_token);
      const answers = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) =>
          refreshAt((i % 2 === 0 ? a : b).url, current.refresh_token, address),
        ),
      );
      const bodies = answers.map((answer, i) => tokens(answer, `round ${round}, request ${i}`));
      const successors = new Set(bodies.map((body) => body.refresh_token));
      expect(successors.size, `round ${round}: distinct successors`).toBe(1);
      const successor = bodies[0]!;
      expect(refreshTokenFields(successor.refresh_token)).toMatchObject({
        sessionId,
        generation: presented.generation + 1,
      });
      // Exactly one rotation happened, and the row holds the successor; the session is not revoked.
      const row = await sessionRow(sessionId);
      expect(row).toMatchObject({ generation: presented.generation + 1, revoked_at: null });
      expect(row.hash).toBe(refreshTokenFields(successor.refresh_token).secretHash);
      current = successor;
    }
    // The last successor is current: it rotates again, at either instance.
    const after = tokens(await refreshAt(a.url, current.refresh_token, address), 'refresh after the rounds');
    await expectVerifiedAtBoth(after.access_token, 'user_alice', 'after the concurrent rounds');
    expect((await sessionRow(sessionId)).revoked_at).toBeNull();
    figures.push(
      `${CONCURRENT_ROUNDS} rounds of ${CONCURRENT} concurrent refreshes over both: 1 successor each, session valid`,
    );
  }, 60_000);

  it('end at the other instance a session revoked at one', async () => {
    const address = clientAddress(2);
    const session = tokens(await loginAt(a.url, 'bob', 'bob-password', address), 'login');
    const logout = await httpRequest(`${b.url}/logout?scope=local`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.access_token}` },
      localAddress: address,
    });
    expect(logout.status).toBe(204);
    const refused = await refreshAt(a.url, session.refresh_token, address);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({ error: 'invalid_grant' });
  });

  /**
   * Sends `send(i)` for i = 0, 1, ... alternating instances: the first `limit` must pass, and the
   * limit must then answer 429 within a few more requests (a window boundary crossed during the
   * burst lets the sliding estimate fall a request or two behind), at both instances. Were each
   * instance counting alone, each would have seen about half of the requests and answered none.
   */
  async function expectSharedLimit(
    name: string,
    limit: number,
    send: (server: DemoProcess) => Promise<HttpAnswer>,
  ): Promise<number> {
    const batch = 10;
    for (let start = 0; start < limit; start += batch) {
      const answers = await Promise.all(
        Array.from({ length: Math.min(batch, limit - start) }, (_, i) => send((start + i) % 2 === 0 ? a : b)),
      );
      for (const [i, answer] of answers.entries()) {
        expect(answer.status, `${name} request ${start + i + 1} of ${limit}`).not.toBe(429);
        expect(answer.status, `${name} request ${start + i + 1}: ${answer.text}`).toBeLessThan(500);
      }
    }
    let limitedAt = 0;
    for (let extra = 1; extra <= 5 && limitedAt === 0; extra++) {
      if ((await send(extra % 2 === 0 ? a : b)).status === 429) limitedAt = limit + extra;
    }
    expect(limitedAt, `${name}: 429 within 5 requests beyond the limit of ${limit}`).toBeGreaterThan(0);
    for (const server of both()) {
      const answer = await send(server);
      expect(answer.status, `${name} at ${server.label} once over the limit`).toBe(429);
      expect(answer.headers['retry-after'], `${name} at ${server.label}`).toMatch(/^[1-9]\d*$/);
      expect(JSON.parse(answer.text)).toMatchObject({ error: 'too_many_requests' });
    }
    return limitedAt;
  }

  it('count the requests to both instances against one rate limit', async () => {
    // The demo allows 20 logins and 120 refreshes a minute per client address.
    const loginAddress = clientAddress(3);
    const loginLimitedAt = await expectSharedLimit('login', 20, (server) =>
      loginAt(server.url, 'alice', 'not-the-password', loginAddress),
    );
    const tokenAddress = clientAddress(4);
    const tokenLimitedAt = await expectSharedLimit('token', 120, (server) =>
      refreshAt(server.url, 'kit_rt_not-a-token', tokenAddress),
    );
    figures.push(
      `login limit (20/min) answered 429 at request ${loginLimitedAt}, token limit (120/min) at request ${tokenLimitedAt}, counted over both, 429 with Retry-After at each`,
    );
  }, 60_000);
});
