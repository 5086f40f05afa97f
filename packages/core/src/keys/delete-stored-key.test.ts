import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KitError } from '../errors.ts';
import type { AuthKit } from '../index.ts';
import { createMikroOrmKeyStore } from '../mikro-orm/index.ts';
import { RETIRED_KEY_MARGIN_SECONDS } from './key-ring.ts';

const SECOND = 1000;
// The fixture's defaults: accessTokenTtl 300 s, lead time jwksMaxAge 300 s + refreshInterval 30 s.
const TTL = 300 * SECOND;
const LEAD = 330 * SECOND;

async function failure(promise: Promise<unknown>): Promise<KitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KitError);
  return error as KitError;
}

describe('kit.keys.delete (PostgreSQL key store)', () => {
  let f: KitFixture;
  const kits: AuthKit[] = [];
  beforeAll(async () => {
    f = await createKitFixture();
  });
  afterEach(async () => {
    for (const kit of kits.splice(0)) await kit.close();
    await f.orm.em.getConnection().execute('delete from kit_signing_keys');
  });
  afterAll(async () => {
    await f.close();
  });

  async function storeKit(): Promise<AuthKit> {
    const kit = await f.makeKit({ signingKeys: undefined, keyStore: createMikroOrmKeyStore({ orm: f.orm }) });
    kits.push(kit);
    return kit;
  }

  async function storedKids(): Promise<string[]> {
    const rows = await f.orm.em
      .getConnection()
      .execute('select kid from kit_signing_keys order by activates_at');
    return rows.map((row) => row.kid as string);
  }

  const signingKid = (kit: AuthKit) => kit.jwks().keys[0]!.kid;

  it('refuses the signing key, a key published ahead, and a key retired too recently; then deletes it', async () => {
    const kit = await storeKit();
    const first = signingKid(kit);
    const { kid: second } = await kit.keys.rotate();

    const signing = await failure(kit.keys.delete(first));
    expect(signing.code).toBe('ERR_KEY_IN_USE');
    expect(signing.message).toContain('is signing now');
    const ahead = await failure(kit.keys.delete(second));
    expect(ahead.code).toBe('ERR_KEY_IN_USE');
    expect(ahead.message).toContain('published ahead');

    // The second key signs: the first is retired, but its last tokens live for another TTL.
    f.clock.advance(LEAD);
    const retiredAt = f.clock.now();
    expect(signingKid(kit)).toBe(second);
    const { accessToken } = await kit.createSession({ userId: 'u' });
    const freeAt = retiredAt + TTL + RETIRED_KEY_MARGIN_SECONDS * SECOND;
    const recent = await failure(kit.keys.delete(first));
    expect(recent.code).toBe('ERR_KEY_IN_USE');
    expect(recent.message).toContain(`can be deleted from ${new Date(freeAt).toISOString()}`);
    f.clock.set(freeAt - 1);
    expect((await failure(kit.keys.delete(first))).code).toBe('ERR_KEY_IN_USE');
    expect(await storedKids()).toEqual([first, second]);

    f.clock.set(freeAt);
    await expect(kit.keys.delete(first)).resolves.toEqual({ kid: first, retiredAt: new Date(retiredAt) });
    expect(await storedKids()).toEqual([second]);
    // Gone from this instance's JWKS at once (it reloads), and the signing key is untouched.
    expect(kit.jwks().keys.map((k) => k.kid)).toEqual([second]);
    expect(signingKid(kit)).toBe(second);
    // A token of the key that signs now still verifies (this one expired meanwhile: a fresh one).
    const fresh = await kit.createSession({ userId: 'u' });
    await expect(kit.verifyAccessToken(fresh.accessToken)).resolves.toMatchObject({ sub: 'u' });
    expect(accessToken).not.toBe(fresh.accessToken);
  });

  it('an unknown kid rejects with ERR_KEY_NOT_FOUND, without echoing it', async () => {
    const kit = await storeKit();
    const error = await failure(kit.keys.delete('no-such-kid-value'));
    expect(error.code).toBe('ERR_KEY_NOT_FOUND');
    expect(error.message).not.toContain('no-such-kid-value');
    expect((await failure(kit.keys.delete(''))).code).toBe('ERR_INVALID_INPUT');
  });

  it('force deletes a leaked signing key once a newer key exists, and the newer one signs at once', async () => {
    const kit = await storeKit();
    const leaked = signingKid(kit);
    const { kid: replacement } = await kit.keys.rotate();
    await expect(kit.keys.delete(leaked, { force: true })).resolves.toEqual({ kid: leaked, retiredAt: null });
    expect(await storedKids()).toEqual([replacement]);
    expect(signingKid(kit)).toBe(replacement);
  });

  it('force never hands signing back to an older key', async () => {
    const kit = await storeKit();
    const older = signingKid(kit);
    await kit.keys.rotate();
    f.clock.advance(LEAD);
    const current = signingKid(kit);
    expect(current).not.toBe(older);
    const error = await failure(kit.keys.delete(current, { force: true }));
    expect(error.code).toBe('ERR_KEY_IN_USE');
    expect(error.message).toContain(`older key ${older} sign again`);
    // Oldest first works: the older (recently retired) key by force, then the current one.
    await kit.keys.delete(older, { force: true });
    await kit.keys.delete(current, { force: true });
    // Every row gone: the instance creates a new key on its reload, as after an emergency.
    await kit.keys.refresh();
    expect(await storedKids()).toHaveLength(1);
    expect([older, current]).not.toContain(signingKid(kit));
  });

  it('is refused for configured keys (KIT_SIGNING_KEYS)', async () => {
    expect((await failure(f.kit.keys.delete(signingKid(f.kit)))).code).toBe('ERR_KEY_INVALID');
  });
});
