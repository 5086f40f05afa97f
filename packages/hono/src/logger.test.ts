import {
  type AuthKit,
  KitJwtExpiredError,
  KitStoreFailureError,
  KitStoreUnavailableError,
  type RateLimitStore,
} from '@kit/core';
import { createTestLogger } from '@kit/test-support';
import { expectOAuthError } from '@kit/test-support/http';
import { AUDIENCE, createTestKey, ISSUER, mint } from '@kit/test-support/verifier';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBearerAuth } from './create-bearer-auth.ts';
import { createRateLimit } from './create-rate-limit.ts';
import { createSessionAuth } from './create-session-auth.ts';
import { kitErrorResponse } from './kit-error-response.ts';
import { revocationListHandler } from './revocation-route.ts';

/** What must never reach a log line: a token, a secret, an error message. */
const SECRET = 'kit_rt_do-not-log-this';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('kitErrorResponse and the logger option', () => {
  it('logs a 5xx answer as { code, status }: warn for a 503, error for a 500; a 4xx not at all', async () => {
    const { logger, lines } = createTestLogger();
    expect(kitErrorResponse(new KitStoreUnavailableError(), logger).status).toBe(503);
    expect(kitErrorResponse(new KitStoreFailureError(`select ${SECRET}`), logger).status).toBe(500);
    expect(kitErrorResponse(new KitJwtExpiredError(), logger).status).toBe(401);
    const driver = Object.assign(new Error(`connection to ${SECRET} reset`), { code: 'ECONNRESET' });
    expect(kitErrorResponse(driver, logger).status).toBe(500);
    expect(kitErrorResponse(new TypeError(SECRET), logger).status).toBe(500);
    expect(
      kitErrorResponse(Object.assign(new Error('x'), { code: `bad code ${SECRET}` }), logger).status,
    ).toBe(500);
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: { code: 'ERR_STORE_UNAVAILABLE', status: 503 },
        message: 'kit: request failed',
      },
      { level: 'error', fields: { code: 'ERR_STORE_FAILURE', status: 500 }, message: 'kit: request failed' },
      { level: 'error', fields: { code: 'ECONNRESET', status: 500 }, message: 'kit: request failed' },
      { level: 'error', fields: { code: 'TypeError', status: 500 }, message: 'kit: request failed' },
      { level: 'error', fields: { code: 'Error', status: 500 }, message: 'kit: request failed' },
    ]);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('writes nothing anywhere without a logger, and survives a logger that throws', () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation(() => undefined),
    );
    expect(kitErrorResponse(new KitStoreFailureError('x')).status).toBe(500);
    expect(kitErrorResponse(new Error('x')).status).toBe(500);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    const throwing = {
      info: () => {},
      warn: () => {
        throw new Error('log sink down');
      },
      error: () => {
        throw new Error('log sink down');
      },
    };
    expect(kitErrorResponse(new KitStoreUnavailableError(), throwing).status).toBe(503);
  });
});

describe('the logger option of each factory', () => {
  const failingKit = {
    verifyAccessToken: async () => ({ sub: 'u', sid: 's' }),
    sessions: {
      get: async () => {
        throw new KitStoreUnavailableError();
      },
    },
    revocations: async () => {
      throw new KitStoreFailureError(`query with ${SECRET}`);
    },
  } as unknown as AuthKit;

  it('createSessionAuth and revocationListHandler log their failures with the code', async () => {
    const { logger, lines } = createTestLogger();
    const app = new Hono();
    app.get('/account', createSessionAuth({ kit: failingKit, logger }), (c) => c.text('ok'));
    app.get('/revocations', revocationListHandler(failingKit, { logger }));
    const account = await app.request('/account', { headers: { authorization: `Bearer ${SECRET}` } });
    await expectOAuthError(account, 503, 'temporarily_unavailable');
    expect((await app.request('/revocations')).status).toBe(503);
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: { code: 'ERR_STORE_UNAVAILABLE', status: 503 },
        message: 'kit: request failed',
      },
      {
        level: 'warn',
        fields: { code: 'ERR_STORE_FAILURE', status: 503 },
        message: 'kit: the revocation list is unavailable',
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('createRateLimit logs a store failure with the code', async () => {
    const { logger, lines } = createTestLogger();
    const store: RateLimitStore = {
      hit: async () => {
        throw new KitStoreUnavailableError();
      },
    };
    const app = new Hono();
    app.post('/login', createRateLimit({ store, clientAddress: () => '203.0.113.7', logger }), (c) =>
      c.text('ok'),
    );
    await expectOAuthError(await app.request('/login', { method: 'POST' }), 503, 'temporarily_unavailable');
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: { code: 'ERR_STORE_UNAVAILABLE', status: 503 },
        message: 'kit: request failed',
      },
    ]);
  });

  it("createBearerAuth with the verifier's options: one logger for the verifier's fetches and the answers", async () => {
    const { logger, lines } = createTestLogger();
    const key = await createTestKey('ES256');
    const app = new Hono();
    app.get(
      '/me',
      createBearerAuth({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: 'https://auth.example.com/.well-known/jwks.json?key=query-secret',
        fetch: (async () => new Response('down', { status: 502 })) as unknown as typeof fetch,
        logger,
      }),
      (c) => c.text('ok'),
    );
    const token = await mint(key, { nowMs: Date.now() });
    await expectOAuthError(
      await app.request('/me', { headers: { authorization: `Bearer ${token}` } }),
      503,
      'temporarily_unavailable',
    );
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: {
          code: 'ERR_JWKS_FETCH_FAILED',
          outcome: 'http_5xx',
          status: 502,
          url: 'https://auth.example.com/.well-known/jwks.json',
        },
        message: 'kit: fetching the JWKS failed',
      },
      {
        level: 'warn',
        fields: { code: 'ERR_JWKS_FETCH_FAILED', status: 503 },
        message: 'kit: request failed',
      },
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/query-secret/);
    for (const segment of token.split('.')) expect(JSON.stringify(lines)).not.toContain(segment);
  });
});
