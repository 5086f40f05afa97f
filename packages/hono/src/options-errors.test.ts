import { type AuthKit, KitInvalidOptionsError } from '@kit/core';
import { describe, expect, it } from 'vitest';
import {
  createBearerAuth,
  createHealthRoutes,
  createKitRoutes,
  createLoginResponder,
  createMemoryRateLimitStore,
  createRateLimit,
  createSessionAuth,
  revocationListHandler,
} from './index.ts';
import { kitErrorResponse } from './kit-error-response.ts';

/** Not a pino-shaped logger: a function where an object with info, warn and error is wanted. */
const notALogger = ((line: string) => line) as never;

// Only what the factories check before they use the kit: every case below fails on its options.
const kit = {
  refresh: () => undefined,
  createSession: () => undefined,
  verifyAccessToken: () => undefined,
  checkReady: () => undefined,
  sessions: { list: () => undefined, get: () => undefined },
} as unknown as AuthKit;

describe('options the factories of @kit/hono cannot work with', () => {
  it.each<[string, () => unknown]>([
    ['createKitRoutes without a kit', () => createKitRoutes({} as never)],
    ['options that are not an object', () => createKitRoutes(kit, null as never)],
    ['a basePath without its slash', () => createKitRoutes(kit, { basePath: 'auth' })],
    ['a baseUrl that is not a URL', () => createKitRoutes(kit, { baseUrl: 'example.com/auth' })],
    ['a baseUrl that is not http(s)', () => createKitRoutes(kit, { baseUrl: 'ftp://example.com/auth' })],
    ['a clientAddress that is not a function', () => createKitRoutes(kit, { clientAddress: 'x' as never })],
    ['cookie mode without its origins', () => createKitRoutes(kit, { cookie: true })],
    [
      'a cookie name with a space',
      () => createKitRoutes(kit, { cookie: { name: 'a b', localDevelopment: true } }),
    ],
    ['the Cookie header as cookie.header', () => createKitRoutes(kit, { cookie: { header: 'Cookie' } })],
    [
      'an allowed origin with a path',
      () => createKitRoutes(kit, { cookie: { allowedOrigins: ['https://a.example/x'] } }),
    ],
    [
      'an allowed origin that is not a URL',
      () => createKitRoutes(kit, { cookie: { allowedOrigins: ['a.example'] } }),
    ],
    [
      'allowed origins that are not a list',
      () => createKitRoutes(kit, { cookie: { allowedOrigins: 'https://a.example' as never } }),
    ],
    ['a /token rate-limit window', () => createKitRoutes(kit, { rateLimit: { window: 'soon' as never } })],
    ['a /revoke rate limit of 0', () => createKitRoutes(kit, { revokeRateLimit: { limit: 0 } })],
    ['createLoginResponder without a kit', () => createLoginResponder({} as never)],
    [
      'createLoginResponder in cookie mode without origins',
      () => createLoginResponder(kit, { cookie: true }),
    ],
    ['a rate limit of 0', () => createRateLimit({ limit: 0 })],
    ['a rate-limit name with a space', () => createRateLimit({ name: 'a b' })],
    ['a rate-limit window of 0', () => createRateLimit({ window: 0 })],
    ['a rate-limit store without hit', () => createRateLimit({ store: {} as never })],
    ['a memory store of 0 keys', () => createMemoryRateLimitStore({ maxKeys: 0 })],
    ['createHealthRoutes without a kit', () => createHealthRoutes({} as never)],
    ['a health timeout of 0', () => createHealthRoutes({ kit, timeout: 0 })],
    ['a negative health cacheFor', () => createHealthRoutes({ kit, cacheFor: -1 })],
    ['a fractional retryAfter', () => createHealthRoutes({ kit, retryAfter: 1.5 })],
    ['createSessionAuth without a kit', () => createSessionAuth({ kit: {} as never })],
    ['createBearerAuth without options', () => createBearerAuth(null as never)],
    ['createBearerAuth with a kit that is not one', () => createBearerAuth({ kit: {} as never })],
    [
      'createBearerAuth with a verify that is not a function',
      () => createBearerAuth({ verify: 'x' as never }),
    ],
    [
      'createBearerAuth without keys',
      () => createBearerAuth({ issuer: 'https://a.example', audience: 'b' } as never),
    ],
    ['a createKitRoutes logger that is a function', () => createKitRoutes(kit, { logger: notALogger })],
    [
      'a createKitRoutes logger without error',
      () => createKitRoutes(kit, { logger: { info() {}, warn() {} } as never }),
    ],
    [
      'a createLoginResponder logger that is not one',
      () => createLoginResponder(kit, { logger: notALogger }),
    ],
    ['a createRateLimit logger that is not one', () => createRateLimit({ logger: notALogger })],
    ['a createSessionAuth logger that is not one', () => createSessionAuth({ kit, logger: notALogger })],
    ['a createBearerAuth logger that is not one', () => createBearerAuth({ kit, logger: notALogger })],
    [
      'a revocationListHandler logger that is not one',
      () => revocationListHandler(kit, { logger: notALogger }),
    ],
    // The line functions `logger` replaced: refused by name, never silently ignored.
    ['createKitRoutes with the old log option', () => createKitRoutes(kit, { log: () => {} } as never)],
    [
      'createKitRoutes with the old log option in its rate limit',
      () => createKitRoutes(kit, { rateLimit: { log: () => {} } } as never),
    ],
    ['createRateLimit with the old log option', () => createRateLimit({ log: () => {} } as never)],
    ['createSessionAuth with the old log option', () => createSessionAuth({ kit, log: () => {} } as never)],
    [
      'kitErrorResponse with an old line function',
      () => kitErrorResponse(new Error('x'), (() => {}) as never),
    ],
  ])('%s: KitInvalidOptionsError (ERR_INVALID_OPTIONS)', (_name, make) => {
    expect(make).toThrow(KitInvalidOptionsError);
    expect(make).toThrow(expect.objectContaining({ code: KitInvalidOptionsError.code }));
  });
});
