import { expectKitError } from '@kit/test-support';
import { AUDIENCE, createTestKey, ISSUER, mint, T0, type TestKey } from '@kit/test-support/verifier';
import { beforeAll, describe, expect, it } from 'vitest';
import { type KitError, KitInvalidOptionsError, KitJwksInvalidError } from '../errors.ts';
import { createVerifier } from './index.ts';

// Options are checked once, when the factory runs; nothing is fetched then.

let es256: TestKey;

beforeAll(async () => {
  es256 = await createTestKey('ES256');
});

describe('createVerifier: options are checked when the factory runs', () => {
  const base = { issuer: ISSUER, audience: AUDIENCE, jwksUrl: 'https://auth.example.com/jwks.json' };

  it.each([
    ['no options', undefined, /issuer/],
    ['missing issuer', { ...base, issuer: undefined }, /`issuer`/],
    ['empty issuer', { ...base, issuer: '' }, /`issuer`/],
    ['missing audience', { ...base, audience: undefined }, /`audience`/],
    ['empty audience list', { ...base, audience: [] }, /`audience`/],
    ['audience list with a non-string', { ...base, audience: [AUDIENCE, 1] }, /`audience`/],
    ['neither jwks nor jwksUrl', { issuer: ISSUER, audience: AUDIENCE }, /exactly one of `jwksUrl`/],
    ['both jwks and jwksUrl', { ...base, jwks: { keys: [] } }, /exactly one of `jwksUrl`/],
    ['jwksUrl not a URL', { ...base, jwksUrl: '/jwks.json' }, /`jwksUrl`/],
    ['jwksUrl not http(s)', { ...base, jwksUrl: 'file:///etc/jwks.json' }, /http/],
    ['jwks not an object', { issuer: ISSUER, audience: AUDIENCE, jwks: 'keys' }, /`jwks`/],
    ['HS256 in algorithms', { ...base, algorithms: ['ES256', 'HS256'] }, /HS256.*public keys only/],
    ['none in algorithms', { ...base, algorithms: ['none'] }, /none/],
    ['unknown algorithm', { ...base, algorithms: ['ES512'] }, /ES256/],
    ['empty algorithms', { ...base, algorithms: [] }, /`algorithms`/],
    ['bad clockTolerance', { ...base, clockTolerance: '5 minutes' }, /`clockTolerance`/],
    ['negative clockTolerance', { ...base, clockTolerance: -1 }, /`clockTolerance`/],
    ['bad cooldown', { ...base, cooldown: 'soon' }, /`cooldown`/],
    ['bad cacheMaxAge', { ...base, cacheMaxAge: {} }, /`cacheMaxAge`/],
    ['zero timeout', { ...base, timeout: 0 }, /`timeout`/],
    ['fetch not a function', { ...base, fetch: 'fetch' }, /`fetch`/],
    ['clock not a function', { ...base, clock: 0 }, /`clock`/],
  ])('throws KitInvalidOptionsError for %s', (_name, options, message) => {
    let caught: unknown;
    try {
      createVerifier(options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KitInvalidOptionsError);
    expect((caught as KitError).code).toBe('ERR_INVALID_OPTIONS');
    expect((caught as Error).message).toMatch(message);
  });

  it('throws KitJwksInvalidError for a `jwks` without a `keys` array', () => {
    expect(() =>
      createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: 'nope' } as never }),
    ).toThrow(KitJwksInvalidError);
  });

  it('rejects verifications with ERR_JWKS_INVALID when a local set has no usable key', async () => {
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [{ kty: 'oct', kid: 'k', k: 'c2VjcmV0' }] },
      clock: () => T0,
    });
    const token = await mint(es256);
    await expectKitError(verify(token), 'ERR_JWKS_INVALID', { token });
  });

  it('accepts durations as seconds or strings', () => {
    expect(() =>
      createVerifier({ ...base, clockTolerance: 0, cooldown: '1m', cacheMaxAge: '10m', timeout: 2 }),
    ).not.toThrow();
  });

  it('does not fetch anything when the factory runs', () => {
    let calls = 0;
    createVerifier({
      ...base,
      fetch: (async () => {
        calls++;
        return new Response('{}');
      }) as typeof fetch,
    });
    expect(calls).toBe(0);
  });
});
