import type { AuthKit, KitErrorCode, TokenSet } from '@kit/core';
import { testKeys } from '@kit/test-support';
import {
  type BodyCase,
  badRefreshTokenArb,
  bytesOf,
  type Expected,
  expectedRevokeAnswer,
  expectedTokenAnswer,
  REVOKE_ROUTE,
  requestArb,
  TOKEN_ROUTE,
} from '@kit/test-support/hostile-requests';
import {
  type BadToken,
  badAccessTokenArb,
  expectedVerdict,
  generateTokenKey,
  secretPieces,
  type TokenKey,
  type TokenSources,
  tokenKeyFromPrivateJwk,
  type Verdict,
  type VerifierModel,
  windows,
} from '@kit/test-support/hostile-tokens';
import { form, post, type TokenBody } from '@kit/test-support/http';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import fc from 'fast-check';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerAuth } from './create-bearer-auth.ts';
import { createKitRoutes } from './create-kit-routes.ts';
import { KIT_ERROR_HTTP } from './error-table.ts';

/**
 * Property tests: hostile input to `POST /token`, `POST /revoke`, the Bearer middleware and the
 * session routes, on a real PostgreSQL database. Each request must get exactly the answer the
 * contract and `KIT_ERROR_HTTP` give it (the models are in `@kit/test-support/hostile-requests`
 * and `@kit/test-support/hostile-tokens`), never a 5xx, and no answer may carry any token material
 * (the submitted one, or any genuine token). Malformed requests that carry a GENUINE credential must
 * not use it. After each property the whole database is byte-for-byte unchanged, no kit event
 * fired, nothing was logged; at the end the seed session still refreshes with its current token.
 * `BAD_INPUT_SCALE` multiplies the run counts (for longer local runs).
 */

const SCALE = Number(process.env.BAD_INPUT_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

/**
 * Length of the pieces of tokens looked for in answers: 10 base64url characters are 60 random
 * bits, so a match is an echo, not a coincidence.
 */
const WINDOW = 10;

type Outcome = { token: string; code: KitErrorCode | 'ok'; claim?: string | undefined; result?: unknown };

let f: KitFixture;
let app: Hono;
/** What reached the kit during one request. */
const calls = {
  refresh: [] as Outcome[],
  revoke: [] as Outcome[],
  verify: [] as Outcome[],
  sessions: [] as string[],
};
const events: string[] = [];
const logs: string[] = [];
const counts = { token: 0, revoke: 0, bearer: 0, sessionRoutes: 0 };

let seed: { id: string; userId: string; current: string; previous: string; accessToken: string };
let genuineRefresh: string[];
let foreignRefresh: string;
let accessTokens: string[];
let otherSessionId: string;
/** Every {@link WINDOW}-character piece of every genuine token: none may appear in an answer. */
let secretWindows: Set<string>;
let sources: TokenSources;
let kitKey: TokenKey;
let before: { tables: Record<string, string>; seed: unknown };

function resetCalls() {
  calls.refresh.length = 0;
  calls.revoke.length = 0;
  calls.verify.length = 0;
  calls.sessions.length = 0;
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
function spyOn(kit: AuthKit): AuthKit {
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
async function tableDigests(): Promise<Record<string, string>> {
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

async function state() {
  const session = await f.kit.sessions.get(seed.id);
  return {
    tables: await tableDigests(),
    seed: {
      status: session?.status,
      generation: session?.generation,
      revokedAt: session?.revokedAt,
      lastRefreshedAt: session?.lastRefreshedAt.getTime(),
      active: await f.kit.sessions.count(seed.userId),
    },
  };
}

/** Nothing changed: every table, the seed session through the admin API, no event, no log line. */
async function expectNothingChanged() {
  expect(await state()).toEqual(before);
  expect(events).toEqual([]);
  expect(logs).toEqual([]);
}

/** A request as a client would send it: with an honest Content-Length, or streamed in chunks. */
function send(path: string, c: BodyCase): Promise<Response> {
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
function expectNoEcho(text: string, headers: Headers, submitted: readonly string[], label: string) {
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
async function expectOAuthErrorBody(res: Response, status: number, error: string, label: string) {
  expect(res.status, label).toBe(status);
  expect(res.headers.get('content-type'), label).toContain('application/json');
  const text = await res.text();
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).sort(), label).toEqual(['error', 'error_description']);
  expect(body.error, label).toBe(error);
  expect(typeof body.error_description, label).toBe('string');
  return text;
}

const describeCase = (c: BodyCase) =>
  `${c.kind} [${c.contentType} ${c.contentLength ? 'content-length' : 'streamed'}] ${JSON.stringify(
    typeof c.body === 'string' ? c.body.slice(0, 300) : `${c.body.byteLength} bytes`,
  )}`;

/** The answer of a body route, against the model. */
async function expectBodyAnswer(res: Response, expected: Expected, label: string) {
  expect(res.headers.get('cache-control'), label).toBe('no-store');
  expect(res.status, label).toBeLessThan(500);
  const submitted: string[] = [];
  let text: string;
  if ('reaches' in expected) {
    submitted.push(expected.credential);
    const list = expected.reaches === 'refresh' ? calls.refresh : calls.revoke;
    const other = expected.reaches === 'refresh' ? calls.revoke : calls.refresh;
    expect(other, label).toEqual([]);
    expect(
      list.map((o) => o.token),
      label,
    ).toEqual([expected.credential]);
    if (expected.reaches === 'refresh') {
      // Whatever the bad token, it fails the server's tag before any database access.
      expect(list[0]!.code, label).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      const mapped = KIT_ERROR_HTTP[list[0]!.code as KitErrorCode];
      text = await expectOAuthErrorBody(res, mapped.status, mapped.error, label);
    } else {
      // RFC 7009 §2.2: an invalid token is answered 200, and nothing is revoked.
      expect(list[0], label).toMatchObject({ code: 'ok', result: false });
      expect(res.status, label).toBe(200);
      text = await res.text();
      expect(text, label).toBe('');
    }
  } else {
    expect(calls.refresh, label).toEqual([]);
    expect(calls.revoke, label).toEqual([]);
    text = await expectOAuthErrorBody(res, expected.status, expected.error, label);
  }
  expect(calls.sessions, label).toEqual([]);
  expectNoEcho(text, res.headers, submitted, label);
}

// ---------------------------------------------------------------------------------------------
// Bearer.

/** UTF-8 bytes as a server reads them from the wire into a header value (one char per byte). */
const wire = (value: string) => Buffer.from(value, 'utf8').toString('latin1');

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token. */
const CREDENTIALS = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

type BearerExpected =
  | { kind: 'missing' }
  | { kind: 'malformed' }
  | { kind: 'valid' }
  | { kind: 'token'; token: string; verdict: Verdict; status: number; error: string };

function expectedBearerAnswer(header: string | null, model: VerifierModel): BearerExpected {
  // What the server sees: HTTP strips leading and trailing whitespace from a field value.
  const value = header === null ? null : new Headers({ authorization: header }).get('authorization');
  if (value === null || value === '') return { kind: 'missing' };
  const match = CREDENTIALS.exec(value);
  if (!match) return { kind: 'malformed' };
  const token = match[1]!;
  const verdict = expectedVerdict(token, model);
  // `Bearer  <token>` is as good as `Bearer <token>` (1*SP): some mutations only move whitespace.
  if (verdict.code === 'ok') return { kind: 'valid' };
  const mapped = KIT_ERROR_HTTP[verdict.code as KitErrorCode];
  return { kind: 'token', token, verdict, status: mapped.status, error: mapped.error };
}

interface BearerCase {
  kind: string;
  /** The `Authorization` field value, or `null` for none. */
  header: string | null;
  token: string;
  expected: BearerExpected;
}

function bearerCaseArb(): fc.Arbitrary<BearerCase> {
  const schemes = [
    'bearer ',
    'BEARER ',
    'Bearer   ',
    'Bearer\t',
    'Bearer',
    'Bearer: ',
    'Bearer=',
    'Basic ',
    'Token ',
    'JWT ',
    'DPoP ',
    ' Bearer ',
    'Bearer \u00a0',
    'Bearer\u00a0',
    'Bearer \u200f',
  ];
  const suffixes = [' ', '\t', ',', ', Bearer x', ' extra', '; x', '\u00a0', '\u200e'];
  const withToken = fc
    .tuple(
      fc.oneof(
        { weight: 8, arbitrary: fc.constant('Bearer ') },
        { weight: 2, arbitrary: fc.constantFrom(...schemes) },
      ),
      badAccessTokenArb(sources, accessTokens),
      fc.oneof(
        { weight: 8, arbitrary: fc.constant('') },
        { weight: 2, arbitrary: fc.constantFrom(...suffixes) },
      ),
    )
    .map(([scheme, bad, suffix]: [string, BadToken, string]) => ({
      kind: bad.kind,
      token: bad.token,
      header: wire(`${scheme}${bad.token}${suffix}`),
    }))
    // NUL, CR and LF cannot travel in a header field: an HTTP server refuses them before any app.
    .filter((c) => !/[\0\r\n]/.test(c.header))
    .map((c) => ({ ...c, expected: expectedBearerAnswer(c.header, sources.model) }))
    // A valid credential is not hostile input (and would log the seed out on /logout).
    .filter((c) => c.expected.kind !== 'valid');
  const without = fc.constantFrom<string | null>(null, '', ' ', '\t').map((header) => ({
    kind: 'no credentials',
    token: '',
    header,
    expected: expectedBearerAnswer(header, sources.model),
  }));
  return fc.oneof({ weight: 30, arbitrary: withToken }, { weight: 1, arbitrary: without });
}

async function expectBearerAnswer(res: Response, c: BearerCase, label: string) {
  const expected = c.expected;
  expect(res.status, label).toBeLessThan(500);
  expect(calls.sessions, `${label}: a bad token reached the session store`).toEqual([]);
  expect(calls.refresh, label).toEqual([]);
  expect(calls.revoke, label).toEqual([]);
  expect(expected.kind, `${label}: a valid credential`).not.toBe('valid');
  let text: string;
  if (expected.kind === 'missing') {
    expect(res.status, label).toBe(401);
    expect(res.headers.get('www-authenticate'), label).toBe('Bearer');
    text = await res.text();
    expect(text, label).toBe('');
    expect(calls.verify, label).toEqual([]);
  } else if (expected.kind === 'malformed') {
    expect(res.headers.get('www-authenticate'), label).toBe('Bearer error="invalid_request"');
    text = await expectOAuthErrorBody(res, 400, 'invalid_request', label);
    expect(calls.verify, label).toEqual([]);
  } else if (expected.kind === 'token') {
    expect(
      calls.verify.map((o) => o.token),
      label,
    ).toEqual([expected.token]);
    const { code, claim } = calls.verify[0]!;
    expect(claim === undefined ? { code } : { code, claim }, label).toEqual(expected.verdict);
    expect(res.headers.get('www-authenticate'), label).toBe(
      expected.error === 'invalid_token' ? 'Bearer error="invalid_token"' : null,
    );
    text = await expectOAuthErrorBody(res, expected.status, expected.error, label);
  } else {
    return;
  }
  expectNoEcho(text, res.headers, [c.token, wire(c.token)], label);
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  f = await createKitFixture();
  const first = await f.kit.createSession({ userId: 'seed-user', userAgent: 'seed', ip: '203.0.113.7' });
  // Rotated once, so that both a current token and a previous one (within the grace window: the
  // clock stands still) exist; either would change the row if it were ever accepted.
  const next: TokenSet = await f.kit.refresh(first.refreshToken);
  seed = {
    id: first.session.id,
    userId: 'seed-user',
    current: next.refreshToken,
    previous: first.refreshToken,
    accessToken: next.accessToken,
  };
  const other = await f.kit.createSession({ userId: 'other-user' });
  otherSessionId = other.session.id;
  const revoked = await f.kit.createSession({ userId: 'seed-user' });
  await f.kit.sessions.revoke(revoked.session.id);
  // A genuine token of another deployment (another KIT_SECRET) for a session in this database.
  const foreignKit = await f.makeKit({ secret: 'another-deployment-secret-0123456789-abcdefghijklmnop' });
  foreignRefresh = (await foreignKit.createSession({ userId: 'seed-user' })).refreshToken;

  genuineRefresh = [seed.current, seed.previous, other.refreshToken, revoked.refreshToken];
  accessTokens = [seed.accessToken, other.accessToken];
  secretWindows = new Set(
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

  kitKey = tokenKeyFromPrivateJwk((await testKeys()).keys[0]!);
  const claims = JSON.parse(Buffer.from(seed.accessToken.split('.')[1]!, 'base64url').toString()) as Record<
    string,
    unknown
  >;
  sources = {
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

  const kit = spyOn(f.kit);
  app = new Hono();
  app.route('/', createKitRoutes(kit, { rateLimit: false, log: (line) => logs.push(line) }));
  app.get('/me', createBearerAuth({ kit }), (c) => c.json({ sub: c.var.claims.sub }));

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
  before = await state();
});

afterAll(async () => {
  console.info(
    `bad-input: /token ${counts.token} cases, /revoke ${counts.revoke} cases, ` +
      `Bearer middleware ${counts.bearer} cases, session routes ${counts.sessionRoutes} cases`,
  );
  await f?.close();
});

describe('hostile input: exact 4xx answers, no echo, no state change', () => {
  it('starts from working seed tokens, the key the model knows and the contract mapping of a forged token', async () => {
    expect(before.seed).toMatchObject({ status: 'active', generation: 1, revokedAt: null });
    expect(f.kit.jwks().keys.map((k) => k.kid)).toEqual([kitKey.kid]);
    for (const token of accessTokens) expect(expectedVerdict(token, sources.model)).toEqual({ code: 'ok' });
    expect(KIT_ERROR_HTTP.ERR_REFRESH_TOKEN_MALFORMED).toMatchObject({ status: 400, error: 'invalid_grant' });
    resetCalls();
    const me = await app.request('/me', { headers: { authorization: `Bearer ${seed.accessToken}` } });
    expect(me.status).toBe(200);
    expect(calls.verify).toMatchObject([{ token: seed.accessToken, code: 'ok' }]);
    await expectNothingChanged();
  });

  it('POST /token', async () => {
    const bad = badRefreshTokenArb(genuineRefresh, { foreign: [foreignRefresh], accessTokens });
    await fc.assert(
      fc.asyncProperty(requestArb(TOKEN_ROUTE, genuineRefresh, bad), async (c) => {
        counts.token++;
        const label = `/token ${describeCase(c)}`;
        const expected = expectedTokenAnswer(c);
        if ('reaches' in expected)
          expect(genuineRefresh, `generator bug: ${label}`).not.toContain(expected.credential);
        resetCalls();
        await expectBodyAnswer(await send('/token', c), expected, label);
      }),
      { numRuns: runs(700) },
    );
    await expectNothingChanged();
  });

  it('POST /revoke', async () => {
    const bad = badRefreshTokenArb(genuineRefresh, { foreign: [foreignRefresh], accessTokens });
    await fc.assert(
      fc.asyncProperty(requestArb(REVOKE_ROUTE, genuineRefresh, bad), async (c) => {
        counts.revoke++;
        const label = `/revoke ${describeCase(c)}`;
        const expected = expectedRevokeAnswer(c);
        if ('reaches' in expected)
          expect(genuineRefresh, `generator bug: ${label}`).not.toContain(expected.credential);
        resetCalls();
        await expectBodyAnswer(await send('/revoke', c), expected, label);
      }),
      { numRuns: runs(500) },
    );
    await expectNothingChanged();
  });

  it('the Bearer middleware', async () => {
    await fc.assert(
      fc.asyncProperty(bearerCaseArb(), async (c) => {
        counts.bearer++;
        const label = `GET /me ${c.kind}: ${JSON.stringify(c.header?.slice(0, 300))}`;
        resetCalls();
        const headers: Record<string, string> = c.header === null ? {} : { authorization: c.header };
        await expectBearerAnswer(await app.request('/me', { headers }), c, label);
      }),
      { numRuns: runs(1000) },
    );
    await expectNothingChanged();
  });

  it('the session routes (list, delete, logout of every scope)', async () => {
    const routes: [string, string][] = [
      ['GET', '/sessions'],
      ['POST', '/logout?scope=global'],
      ['POST', '/logout?scope=others'],
      ['POST', '/logout'],
      ['DELETE', `/sessions/${seed.id}`],
      ['DELETE', `/sessions/${otherSessionId}`],
    ];
    await fc.assert(
      fc.asyncProperty(bearerCaseArb(), fc.constantFrom(...routes), async (c, [method, path]) => {
        counts.sessionRoutes++;
        const label = `${method} ${path} ${c.kind}: ${JSON.stringify(c.header?.slice(0, 300))}`;
        resetCalls();
        const headers: Record<string, string> = c.header === null ? {} : { authorization: c.header };
        await expectBearerAnswer(await app.request(path, { method, headers }), c, label);
      }),
      { numRuns: runs(400) },
    );
    await expectNothingChanged();
  });

  it('leaves the seed session working: its current token still refreshes, once', async () => {
    await expectNothingChanged();
    const res = await post(app, '/token', form({ grant_type: 'refresh_token', refresh_token: seed.current }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as TokenBody;
    expect(body.refresh_token).toMatch(/^kit_rt_/);
    expect(body.refresh_token).not.toBe(seed.current);
    const session = await f.kit.sessions.get(seed.id);
    expect(session).toMatchObject({ status: 'active', generation: 2, revokedAt: null });
    expect(events).toEqual(['session_refreshed']);
  });
});
