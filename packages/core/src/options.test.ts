import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthKitOptions,
  createAuthKit,
  DEFAULTS,
  generateSigningKeys,
  importSigningKeys,
  KitError,
  type PrivateJwks,
  type SessionStore,
} from './index.ts';

const SECRET = randomBytes(32).toString('base64url');

/** A store that fails loudly if the factory touches it: option checks must not need it. */
function dummyStore(): SessionStore {
  const untouched = async () => {
    throw new Error('the store must not be used while options are checked');
  };
  return {
    insert: untouched,
    rotate: async () => null,
    find: async () => null,
    list: async () => [],
    count: async () => 0,
    revoke: async () => null,
    revokeByUser: async () => 0,
    updateData: async () => null,
    updateExpiry: async () => null,
    purge: async () => 0,
  } as unknown as SessionStore;
}

let signingKeys: PrivateJwks;

beforeAll(async () => {
  signingKeys = await generateSigningKeys();
});

function base(overrides: Record<string, unknown> = {}): AuthKitOptions {
  return {
    issuer: 'https://auth.example.com',
    audience: 'https://api.example.com',
    secret: SECRET,
    signingKeys,
    store: dummyStore(),
    ...overrides,
  } as AuthKitOptions;
}

function without(name: keyof AuthKitOptions): AuthKitOptions {
  const options = base() as unknown as Record<string, unknown>;
  delete options[name];
  return options as unknown as AuthKitOptions;
}

/** Asserts ERR_INVALID_OPTIONS, a message naming `option`, and no secret in the message. */
async function expectInvalidOption(options: AuthKitOptions, option: string): Promise<KitError> {
  let caught: unknown;
  try {
    await createAuthKit(options);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected createAuthKit to reject for ${option}`).toBeInstanceOf(KitError);
  const error = caught as KitError;
  expect(error.code).toBe('ERR_INVALID_OPTIONS');
  expect(error.message).toContain(option);
  const secret = (options as { secret?: unknown }).secret;
  if (typeof secret === 'string' && secret.length > 0) {
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain(secret.slice(0, 12));
  }
  expect(error.message).not.toContain(SECRET.slice(0, 12));
  return error;
}

describe('createAuthKit options', () => {
  it('accepts the minimal options and exposes the defaults on kit.config', async () => {
    const kit = await createAuthKit(base());
    expect(kit.config).toMatchObject({
      issuer: 'https://auth.example.com',
      audience: 'https://api.example.com',
      accessTokenTtl: 300,
      sessionIdleTtl: 2_592_000,
      sessionMaxAge: 7_776_000,
      reuseGrace: 10,
    });
    expect(DEFAULTS).toMatchObject({
      accessTokenTtl: 300,
      sessionIdleTtl: 2_592_000,
      sessionMaxAge: 7_776_000,
      reuseGrace: 10,
      clientId: 'default',
    });
    expect(Object.isFrozen(kit.config)).toBe(true);
  });

  it('accepts durations as strings like "15m"', async () => {
    const kit = await createAuthKit(
      base({ accessTokenTtl: '15m', sessionIdleTtl: '2w', sessionMaxAge: '90d', reuseGrace: '30s' }),
    );
    expect(kit.config.accessTokenTtl).toBe(900);
    expect(kit.config.sessionIdleTtl).toBe(1_209_600);
    expect(kit.config.sessionMaxAge).toBe(7_776_000);
    expect(kit.config.reuseGrace).toBe(30);
  });

  it('accepts durations as numbers of seconds, the limits themselves, and a zero grace', async () => {
    const kit = await createAuthKit(base({ accessTokenTtl: 86_400, reuseGrace: 300, sessionIdleTtl: 60 }));
    expect(kit.config.accessTokenTtl).toBe(86_400);
    expect(kit.config.reuseGrace).toBe(300);
    expect(kit.config.sessionIdleTtl).toBe(60);
    expect((await createAuthKit(base({ reuseGrace: 0 }))).config.reuseGrace).toBe(0);
    expect((await createAuthKit(base({ reuseGrace: '0s' }))).config.reuseGrace).toBe(0);
  });

  it('accepts an audience list, a Uint8Array secret, a JSON key set and an imported key set', async () => {
    const list = await createAuthKit(base({ audience: ['https://a.example', 'https://b.example'] }));
    expect(list.config.audience).toEqual(['https://a.example', 'https://b.example']);
    await expect(createAuthKit(base({ secret: new Uint8Array(randomBytes(32)) }))).resolves.toBeDefined();
    await expect(createAuthKit(base({ signingKeys: JSON.stringify(signingKeys) }))).resolves.toBeDefined();
    const imported = await importSigningKeys(signingKeys);
    const kit = await createAuthKit(base({ signingKeys: imported }));
    expect(kit.jwks().keys[0]!.kid).toBe(imported.current.kid);
  });

  it('accepts http issuers (development) and the other optional options', async () => {
    await expect(
      createAuthKit(
        base({
          issuer: 'http://127.0.0.1:3000',
          clientId: 'web',
          maxDataBytes: 2,
          claims: () => ({ role: 'user' }),
          clock: () => 0,
        }),
      ),
    ).resolves.toBeDefined();
  });

  describe('rejects with ERR_INVALID_OPTIONS naming the option', () => {
    it('options that are not an object', async () => {
      for (const options of [undefined, null, 'https://auth.example.com', 42]) {
        let caught: unknown;
        try {
          await createAuthKit(options as never);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(KitError);
        expect((caught as KitError).code).toBe('ERR_INVALID_OPTIONS');
      }
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['relative path', '/auth'],
      ['host without scheme', 'auth.example.com'],
      ['ftp', 'ftp://auth.example.com'],
      ['javascript:', 'javascript:alert(1)'],
      ['file:', 'file:///etc/passwd'],
      ['a URL object', new URL('https://auth.example.com')],
      ['a number', 42],
    ])('issuer: %s', async (_name, issuer) => {
      await expectInvalidOption(base({ issuer }), 'issuer');
    });

    it('issuer: absent from the options object', async () => {
      await expectInvalidOption(without('issuer'), 'issuer');
    });

    it.each([
      ['missing', undefined],
      ['empty string', ''],
      ['empty list', []],
      ['list with an empty string', ['']],
      ['list with one empty string among good ones', ['https://api.example.com', '']],
      ['list with a number', ['https://api.example.com', 42]],
      ['a number', 42],
      ['an object', { aud: 'x' }],
    ])('audience: %s', async (_name, audience) => {
      await expectInvalidOption(base({ audience }), 'audience');
    });

    it('secret: missing', async () => {
      await expectInvalidOption(without('secret'), 'secret');
      await expectInvalidOption(base({ secret: null }), 'secret');
      await expectInvalidOption(base({ secret: 1_234_567_890 }), 'secret');
      await expectInvalidOption(base({ secret: [...randomBytes(32)] }), 'secret');
    });

    it('secret: shorter than 32 bytes', async () => {
      const short = randomBytes(31).toString('hex').slice(0, 31);
      expect(short.length).toBe(31);
      await expectInvalidOption(base({ secret: short }), 'secret');
      await expectInvalidOption(base({ secret: '' }), 'secret');
      await expectInvalidOption(base({ secret: new Uint8Array(randomBytes(31)) }), 'secret');
      // 32 bytes is enough.
      await expect(createAuthKit(base({ secret: randomBytes(16).toString('hex') }))).resolves.toBeDefined();
    });

    it('secret: low entropy', async () => {
      await expectInvalidOption(base({ secret: 'a'.repeat(40) }), 'secret');
      await expectInvalidOption(base({ secret: 'ab'.repeat(40) }), 'secret');
      await expectInvalidOption(base({ secret: new Uint8Array(64) }), 'secret');
    });

    it('signingKeys: missing', async () => {
      await expectInvalidOption(without('signingKeys'), 'signingKeys');
      await expectInvalidOption(base({ signingKeys: null }), 'signingKeys');
    });

    it('store: missing or not a store', async () => {
      await expectInvalidOption(without('store'), 'store');
      await expectInvalidOption(base({ store: null }), 'store');
      await expectInvalidOption(base({ store: {} }), 'store');
      await expectInvalidOption(base({ store: { insert: async () => {} } }), 'store');
    });

    it.each([
      ['0', 0],
      ['"0s"', '0s'],
      ['"1x"', '1x'],
      ['over a day (86401)', 86_401],
      ['over a day ("2d")', '2d'],
      ['negative', -1],
      ['a fraction', 1.5],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['null', null],
    ])('accessTokenTtl: %s', async (_name, accessTokenTtl) => {
      await expectInvalidOption(base({ accessTokenTtl }), 'accessTokenTtl');
    });

    it.each([
      ['over 300', 301],
      ['"6m"', '6m'],
      ['negative', -1],
      ['"1x"', '1x'],
    ])('reuseGrace: %s', async (_name, reuseGrace) => {
      await expectInvalidOption(base({ reuseGrace }), 'reuseGrace');
    });

    it.each([
      ['sessionIdleTtl', 0],
      ['sessionIdleTtl', '10y'],
      ['sessionMaxAge', 0],
      ['sessionMaxAge', '1.5d'],
    ])('%s: %j', async (name, value) => {
      await expectInvalidOption(base({ [name]: value }), name);
    });

    it.each([
      ['empty', ''],
      ['too long', 'c'.repeat(256)],
      ['a number', 42],
    ])('clientId: %s', async (_name, clientId) => {
      await expectInvalidOption(base({ clientId }), 'clientId');
    });

    it.each([
      ['1', 1],
      ['0', 0],
      ['a fraction', 100.5],
      ['over 1 MiB', 1024 * 1024 + 1],
      ['a string', '16384'],
    ])('maxDataBytes: %s', async (_name, maxDataBytes) => {
      await expectInvalidOption(base({ maxDataBytes }), 'maxDataBytes');
    });

    it.each([
      ['a string', 'role'],
      ['an object', { role: 'user' }],
      ['null', null],
    ])('claims: %s', async (_name, claims) => {
      await expectInvalidOption(base({ claims }), 'claims');
    });

    it('clock: not a function', async () => {
      await expectInvalidOption(base({ clock: 0 }), 'clock');
    });
  });

  it('never puts the secret in an error message, whichever option is wrong', async () => {
    const secret = `kit-test-secret-${randomBytes(24).toString('hex')}`;
    const wrong: Record<string, unknown>[] = [
      { issuer: 'ftp://x' },
      { audience: '' },
      { signingKeys: undefined },
      { store: undefined },
      { accessTokenTtl: '1x' },
      { reuseGrace: 301 },
      { clientId: '' },
      { maxDataBytes: 1 },
      { claims: 'x' },
    ];
    for (const overrides of wrong) {
      const error = await expectInvalidOption(base({ secret, ...overrides }), Object.keys(overrides)[0]!);
      expect(error.message).not.toContain(secret);
      expect(String(error.stack)).not.toContain(secret);
    }
    for (const weak of ['a'.repeat(40), 'short-secret-value', 'abcabcabcabcabcabcabcabcabcabcabcabc']) {
      const error = await expectInvalidOption(base({ secret: weak }), 'secret');
      expect(error.message).not.toContain(weak);
      expect(String(error.stack)).not.toContain(weak);
    }
  });
});
