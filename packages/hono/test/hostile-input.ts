import { type AuthKit, createMemoryDpopReplayCache, type KitErrorCode, type TokenSet } from '@kit/core';
import { createTestLogger, testKeys } from '@kit/test-support';
import { type BodyCase, bytesOf } from '@kit/test-support/hostile-requests';
import {
  expectedVerdict,
  generateTokenKey,
  secretPieces,
  type TokenKey,
  type TokenSources,
  tokenKeyFromPrivateJwk,
  windows,
} from '@kit/test-support/hostile-tokens';
import { form, post, type TokenBody } from '@kit/test-support/http';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import { Hono } from 'hono';
import { expect } from 'vitest';
import { createBearerAuth } from '../src/create-bearer-auth.ts';
import { createKitRoutes } from '../src/create-kit-routes.ts';
import { KIT_ERROR_HTTP } from '../src/error-table.ts';

/**
 * What the hostile-input property tests share: a real PostgreSQL database with a seed session
 * (rotated once), another user's session, a revoked one and a genuine token of another deployment;
 * the kit's routes and a Bearer route over a kit whose every entry point is recorded; and the
 * checks that no answer echoes token material and that nothing changed (every table byte for byte,
 * no kit event, no log line). `BAD_INPUT_SCALE` multiplies the run counts (for longer local runs).
 */

const SCALE = Number(process.env.BAD_INPUT_SCALE ?? 1);
export const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

/**
 * Length of the pieces of tokens looked for in answers: 10 base64url characters are 60 random
 * bits, so a match is an echo, not a coincidence.
 */
const WINDOW = 10;

export type Outcome = {
  token: string;
  code: KitErrorCode | 'ok';
  claim?: string | undefined;
  result?: unknown;
};

export interface HostileInput {
  f: KitFixture;
  app: Hono;
  /** What reached the kit during one request (see {@link HostileInput.resetCalls}). */
  calls: { refresh: Outcome[]; revoke: Outcome[]; verify: Outcome[]; sessions: string[] };
  seed: { id: string; userId: string; current: string; previous: string; accessToken: string };
  genuineRefresh: string[];
  foreignRefresh: string;
  accessTokens: string[];
  otherSessionId: string;
  sources: TokenSources;
  kitKey: TokenKey;
  resetCalls(): void;
  /** A body route's request as a client would send it: with an honest Content-Length, or streamed. */
  send(path: string, c: BodyCase): Promise<Response>;
  /**
   * No token material in the answer's body or headers: no refresh-token prefix, no piece of any
   * genuine token, and no piece of the submitted ones.
   */
  expectNoEcho(text: string, headers: Headers, submitted: readonly string[], label: string): void;
  /** Nothing changed: every table, the seed session through the admin API, no event, no log line. */
  expectNothingChanged(): Promise<void>;
  /** The seed tokens work, the model knows the kit's key, a forged refresh token maps as the contract says. */
  expectWorkingStart(): Promise<void>;
  /** The seed session still works: its current token refreshes, once. */
  expectSeedStillRefreshes(): Promise<void>;
  close(): Promise<void>;
}

/** Sets up the database, the seed tokens and the recorded kit's routes. */
export async function createHostileInput(): Promise<HostileInput> {
  // With DPoP, so that the session routes take the DPoP scheme as the Bearer middleware does.
  const f = await createKitFixture({ dpop: { replayCache: createMemoryDpopReplayCache() } });
  const calls: HostileInput['calls'] = { refresh: [], revoke: [], verify: [], sessions: [] };
  const events: string[] = [];
  const { logger, lines: logs } = createTestLogger();

  const first = await f.kit.createSession({ userId: 'seed-user', userAgent: 'seed', ip: '203.0.113.7' });
  // Rotated once, so that both a current token and a previous one (within the grace window: the
  // clock stands still) exist; either would change the row if it were ever accepted.
  const next: TokenSet = await f.kit.refresh(first.refreshToken);
  const seed = {
    id: first.session.id,
    userId: 'seed-user',
    current: next.refreshToken,
    previous: first.refreshToken,
    accessToken: next.accessToken,
  };
  const other = await f.kit.createSession({ userId: 'other-user' });
  const otherSessionId = other.session.id;
  const revoked = await f.kit.createSession({ userId: 'seed-user' });
  await f.kit.sessions.revoke(revoked.session.id);
  // A genuine token of another deployment (another KIT_SECRET) for a session in this database.
  const foreignKit = await f.makeKit({ secret: 'another-deployment-secret-0123456789-abcdefghijklmnop' });
  const foreignRefresh = (await foreignKit.createSession({ userId: 'seed-user' })).refreshToken;

  const genuineRefresh = [seed.current, seed.previous, other.refreshToken, revoked.refreshToken];
  const accessTokens = [seed.accessToken, other.accessToken];
  const secretWindows = new Set(
    [...genuineRefresh, foreignRefresh]
      .flatMap((t) => windows(t.slice('kit_rt_'.length), WINDOW))
      .concat(
        accessTokens.flatMap((t) =>
          t
            .split('.')
            .slice(1)
            .flatMap((s) => windows(s, WINDOW)),
        ),
      ),
  );

  const kitKey = tokenKeyFromPrivateJwk((await testKeys()).keys[0]!);
  const claims = JSON.parse(Buffer.from(seed.accessToken.split('.')[1]!, 'base64url').toString()) as Record<
    string,
    unknown
  >;
  const sources: TokenSources = {
    model: {
      issuer: f.kit.config.issuer,
      audiences: [f.kit.config.audience as string],
      algorithms: ['ES256'],
      keys: [kitKey],
      nowMs: f.clock.now(),
      toleranceSeconds: 5,
    },
    issuerKeys: [kitKey],
    attackerKeys: (['ES256', 'EdDSA', 'RS256'] as const).map((alg) =>
      generateTokenKey(alg, `attacker-${alg.toLowerCase()}`),
    ),
    claims,
  };

  const kit = spyOn(f.kit, calls);
  const app = new Hono();
  app.route('/', createKitRoutes(kit, { rateLimit: false, logger }));
  app.get('/me', createBearerAuth({ kit, logger }), (c) => c.json({ sub: c.var.claims.sub }));

  for (const event of [
    'session_created',
    'session_refreshed',
    'session_revoked',
    'reuse_detected',
  ] as const) {
    f.kit.on(event, () => {
      events.push(event);
    });
  }
  const state = async () => {
    const session = await f.kit.sessions.get(seed.id);
    return {
      tables: await tableDigests(f),
      seed: {
        status: session?.status,
        generation: session?.generation,
        revokedAt: session?.revokedAt,
        lastRefreshedAt: session?.lastRefreshedAt.getTime(),
        active: await f.kit.sessions.count(seed.userId),
      },
    };
  };
  const before = await state();

  const expectNothingChanged = async () => {
    expect(await state()).toEqual(before);
    expect(events).toEqual([]);
    expect(logs).toEqual([]);
  };
  const resetCalls = () => {
    calls.refresh.length = 0;
    calls.revoke.length = 0;
    calls.verify.length = 0;
    calls.sessions.length = 0;
  };
  return {
    f,
    app,
    calls,
    seed,
    genuineRefresh,
    foreignRefresh,
    accessTokens,
    otherSessionId,
    sources,
    kitKey,
    resetCalls,
    send: (path, c) => send(app, path, c),
    expectNoEcho: (text, headers, submitted, label) =>
      expectNoEcho(secretWindows, text, headers, submitted, label),
    expectNothingChanged,
    async expectWorkingStart() {
      expect(before.seed).toMatchObject({ status: 'active', generation: 1, revokedAt: null });
      expect(f.kit.jwks().keys.map((k) => k.kid)).toEqual([kitKey.kid]);
      for (const token of accessTokens) expect(expectedVerdict(token, sources.model)).toEqual({ code: 'ok' });
      expect(KIT_ERROR_HTTP.ERR_REFRESH_TOKEN_MALFORMED).toMatchObject({
        status: 400,
        error: 'invalid_grant',
      });
      resetCalls();
      const me = await app.request('/me', { headers: { authorization: `Bearer ${seed.accessToken}` } });
      expect(me.status).toBe(200);
      expect(calls.verify).toMatchObject([{ token: seed.accessToken, code: 'ok' }]);
      await expectNothingChanged();
    },
    async expectSeedStillRefreshes() {
      await expectNothingChanged();
      const res = await post(
        app,
        '/token',
        form({ grant_type: 'refresh_token', refresh_token: seed.current }),
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as TokenBody;
      expect(body.refresh_token).toMatch(/^kit_rt_/);
      expect(body.refresh_token).not.toBe(seed.current);
      const session = await f.kit.sessions.get(seed.id);
      expect(session).toMatchObject({ status: 'active', generation: 2, revokedAt: null });
      expect(events).toEqual(['session_refreshed']);
    },
    close: () => f.close(),
  };
}

async function record<T>(list: Outcome[], token: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    list.push({ token, code: 'ok', result });
    return result;
  } catch (error) {
    const e = error as { code?: KitErrorCode; claim?: string };
    list.push({ token, code: e.code ?? ('thrown' as KitErrorCode), claim: e.claim });
    throw error;
  }
}

/** The kit, with every entry point the routes use recorded. */
function spyOn(kit: AuthKit, calls: HostileInput['calls']): AuthKit {
  const sessions = kit.sessions;
  return {
    ...kit,
    refresh: (token, context) => record(calls.refresh, token, () => kit.refresh(token, context)),
    revokeRefreshToken: (token, options) =>
      record(calls.revoke, token, () => kit.revokeRefreshToken(token, options)),
    verifyAccessToken: (token) => record(calls.verify, token, () => kit.verifyAccessToken(token)),
    sessions: {
      ...sessions,
      get: (id) => {
        calls.sessions.push(`get ${id}`);
        return sessions.get(id);
      },
      revoke: (id, options) => {
        calls.sessions.push(`revoke ${id}`);
        return sessions.revoke(id, options);
      },
      revokeAll: (userId, options) => {
        calls.sessions.push(`revokeAll ${userId}`);
        return sessions.revokeAll(userId, options);
      },
      list: (userId, options) => {
        calls.sessions.push(`list ${userId}`);
        return sessions.list(userId, options);
      },
    },
  };
}

/** Every table of the test database: row count and a digest of all rows. */
async function tableDigests(f: KitFixture): Promise<Record<string, string>> {
  const connection = f.orm.em.getConnection();
  const tables = await connection.execute<{ name: string }[]>(
    "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
  );
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await connection.execute<{ n: number; digest: string | null }[]>(
      `select count(*)::int as n, md5(string_agg(t::text, E'\\n' order by t::text)) as digest from "${name}" t`,
    );
    out[name] = `${row!.n} rows, ${row!.digest}`;
  }
  return out;
}

/** A request as a client would send it: with an honest Content-Length, or streamed in chunks. */
function send(app: Hono, path: string, c: BodyCase): Promise<Response> {
  const bytes = bytesOf(c.body);
  const headers: Record<string, string> = {};
  if (c.contentType !== null) headers['content-type'] = c.contentType;
  let body: BodyInit = bytes as BodyInit;
  if (c.contentLength) {
    headers['content-length'] = String(bytes.byteLength);
  } else {
    body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.byteLength; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
        controller.close();
      },
    });
  }
  return Promise.resolve(app.request(path, { method: 'POST', headers, body, duplex: 'half' } as RequestInit));
}

/**
 * No token material in the answer's body or headers: no refresh-token prefix, no piece of any
 * genuine token, and no piece of the submitted ones (their segments, and every 16-character window
 * that is not blank).
 */
function expectNoEcho(
  secretWindows: Set<string>,
  text: string,
  headers: Headers,
  submitted: readonly string[],
  label: string,
) {
  let all = text;
  headers.forEach((value, name) => {
    all += `\n${name}: ${value}`;
  });
  expect(all.includes('kit_rt_'), `${label}: a refresh token echoed`).toBe(false);
  for (let i = 0; i + WINDOW <= all.length; i++) {
    const piece = all.slice(i, i + WINDOW);
    if (secretWindows.has(piece)) expect.fail(`${label}: genuine token material echoed: ${piece}`);
  }
  const answered = new Set(windows(all, 16));
  for (const value of submitted) {
    for (const piece of secretPieces(value)) {
      if (piece.trim() !== '')
        expect(all.includes(piece), `${label}: submitted token echoed: ${piece}`).toBe(false);
    }
    for (let i = 0; i + 16 <= value.length; i++) {
      const piece = value.slice(i, i + 16);
      if (answered.has(piece) && piece.trim() !== '')
        expect.fail(`${label}: submitted token echoed: ${piece}`);
    }
  }
}

/** An RFC 6749 §5.2 error answer: exactly `{error, error_description}`, JSON, no-store. */
export async function expectOAuthErrorBody(res: Response, status: number, error: string, label: string) {
  expect(res.status, label).toBe(status);
  expect(res.headers.get('content-type'), label).toContain('application/json');
  const text = await res.text();
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).sort(), label).toEqual(['error', 'error_description']);
  expect(body.error, label).toBe(error);
  expect(typeof body.error_description, label).toBe('string');
  return text;
}
