import { TEST_SECRET } from '@kit/test-support';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthKit, AuthKitOptions } from '../index.ts';
import { createMikroOrmKeyStore } from '../mikro-orm/index.ts';
import { RETIRED_KEY_MARGIN_SECONDS } from './key-ring.ts';

const OTHER_SECRET = 'another-secret-ZYXWVUTSRQPONMLKJIHGFEDCBA-9876543210';

describe('database key store', () => {
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

  async function storeKit(more: Partial<AuthKitOptions> = {}): Promise<AuthKit> {
    const kit = await f.makeKit({
      signingKeys: undefined,
      keyStore: createMikroOrmKeyStore({ orm: f.orm }),
      ...more,
    });
    kits.push(kit);
    return kit;
  }

  async function rows(): Promise<Record<string, unknown>[]> {
    const client = new pg.Client({ connectionString: f.db.url });
    await client.connect();
    try {
      return (await client.query('select * from kit_signing_keys order by activates_at')).rows;
    } finally {
      await client.end();
    }
  }

  it('instances starting together on an empty database share exactly one key', async () => {
    const started = await Promise.all(Array.from({ length: 8 }, () => storeKit()));
    expect(await rows()).toHaveLength(1);
    const kids = new Set(
      started.map((kit) =>
        kit
          .jwks()
          .keys.map((k) => k.kid)
          .join(),
      ),
    );
    expect(kids.size).toBe(1);
    // A token of one instance verifies at every other.
    const { accessToken } = await started[0]!.createSession({ userId: 'u1' });
    for (const kit of started)
      await expect(kit.verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u1' });
  });

  it('keeps private keys encrypted at rest and publishes public members only', async () => {
    const kit = await storeKit();
    const [row] = await rows();
    const jwk = kit.jwks().keys[0]!;
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(row!.public_jwk).toEqual(jwk);
    const sealed = row!.encrypted_key as Buffer;
    // nonce (12) + ciphertext + tag (16); no JSON of the private key anywhere in it.
    expect(sealed.length).toBeGreaterThan(28 + 100);
    for (const form of ['"d"', jwk.x!]) {
      expect(sealed.toString('latin1').includes(form)).toBe(false);
      expect(sealed.toString('base64url').includes(form)).toBe(false);
    }
    // The nonce is fresh per encryption: two keys never share one.
    await kit.keys.rotate();
    const [a, b] = await rows();
    expect(
      (a!.encrypted_key as Buffer).subarray(0, 12).equals((b!.encrypted_key as Buffer).subarray(0, 12)),
    ).toBe(false);
  });

  it('fails at start, without key material in the message, when KIT_SECRET differs', async () => {
    await storeKit();
    const error = await storeKit({ secret: OTHER_SECRET }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_KEY_INVALID' });
    expect((error as Error).message).toMatch(/same `secret`/);
    expect((error as Error).message).not.toContain(OTHER_SECRET);
  });

  it('detects an altered ciphertext (AES-GCM authentication, kid bound as AAD)', async () => {
    await storeKit();
    await f.orm.em.getConnection().execute(`update kit_signing_keys set kid = 'moved'`);
    await expect(storeKit()).rejects.toMatchObject({ code: 'ERR_KEY_INVALID' });
  });

  it('detects an altered ciphertext while re-encrypting under a new KIT_SECRET', async () => {
    await storeKit();
    await f.orm.em.getConnection().execute(`update kit_signing_keys set kid = 'moved'`);
    await expect(storeKit({ secret: OTHER_SECRET, previousSecrets: [TEST_SECRET] })).rejects.toMatchObject({
      code: 'ERR_KEY_INVALID',
    });
  });

  it('rotation: published a lead time ahead, signs after it, retired key removed after TTL + margin', async () => {
    const kit = await storeKit();
    const lead = (kit.config.jwksMaxAge + 30) * 1000;
    const old = kit.jwks().keys[0]!.kid;
    const { kid, activatesAt } = await kit.keys.rotate();
    expect(activatesAt.getTime()).toBe(f.clock.now() + lead);
    // Published at once, not signing yet.
    expect(kit.jwks().keys.map((k) => k.kid)).toEqual([old, kid]);
    const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header((await kit.createSession({ userId: 'u' })).accessToken).kid).toBe(old);
    f.clock.advance(lead - 1);
    expect(header((await kit.createSession({ userId: 'u' })).accessToken).kid).toBe(old);
    const lastOld = (await kit.createSession({ userId: 'u' })).accessToken;
    f.clock.advance(1);
    expect(header((await kit.createSession({ userId: 'u' })).accessToken).kid).toBe(kid);
    // The retired key stays until its last token expired (+ margin), then disappears.
    const keep = (kit.config.accessTokenTtl + RETIRED_KEY_MARGIN_SECONDS) * 1000;
    f.clock.advance(kit.config.accessTokenTtl * 1000 - 1000);
    await expect(kit.verifyAccessToken(lastOld)).resolves.toBeDefined();
    f.clock.set(activatesAt.getTime() + keep - 1);
    expect(kit.jwks().keys.map((k) => k.kid)).toEqual([kid, old]);
    // Verified a millisecond before the old key leaves: the verifier holds both keys then, and
    // must not keep that set past the removal time (the old token would fail as expired instead).
    const fresh = (await kit.createSession({ userId: 'u' })).accessToken;
    await expect(kit.verifyAccessToken(fresh)).resolves.toBeDefined();
    f.clock.advance(1);
    expect(kit.jwks().keys.map((k) => k.kid)).toEqual([kid]);
    await expect(kit.verifyAccessToken(lastOld)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    // A clock set back publishes the old key again, and the verifier follows.
    f.clock.set(activatesAt.getTime() + keep - 1);
    await expect(kit.verifyAccessToken(lastOld)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it('other instances pick up a rotation on their next reload', async () => {
    const a = await storeKit();
    const b = await storeKit();
    // b verifies before the rotation: its verifier then holds the old key set.
    await expect(
      b.verifyAccessToken((await b.createSession({ userId: 'u' })).accessToken),
    ).resolves.toBeDefined();
    const { kid, activatesAt } = await a.keys.rotate();
    expect(b.jwks().keys.map((k) => k.kid)).not.toContain(kid);
    await b.keys.refresh();
    expect(b.jwks().keys.map((k) => k.kid)).toContain(kid);
    // Once the new key signs, b verifies its tokens: the reload changed b's verifier too.
    f.clock.set(activatesAt.getTime());
    const signedByNew = (await a.createSession({ userId: 'u' })).accessToken;
    await expect(b.verifyAccessToken(signedByNew)).resolves.toMatchObject({ sub: 'u' });
  });

  const headerKid = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;

  it('emergency: after a rotation and deleting the other rows, instances sign with the new key at once', async () => {
    const a = await storeKit();
    const b = await storeKit();
    const leaked = a.jwks().keys[0]!.kid;
    const before = await a.createSession({ userId: 'u' });
    const { kid } = await a.keys.rotate();
    await f.orm.em.getConnection().execute(`delete from kit_signing_keys where kid <> '${kid}'`);
    for (const kit of [a, b]) {
      await kit.keys.refresh();
      expect(kit.jwks().keys.map((k) => k.kid)).toEqual([kid]);
      expect(headerKid((await kit.createSession({ userId: 'u' })).accessToken)).toBe(kid);
      await expect(kit.verifyAccessToken(before.accessToken)).rejects.toMatchObject({
        code: 'ERR_JWKS_NO_MATCHING_KEY',
      });
    }
    expect(kid).not.toBe(leaked);
  });

  it('instances whose stored keys were all deleted create one new key on their next reload', async () => {
    const a = await storeKit();
    const b = await storeKit();
    const old = a.jwks().keys[0]!.kid;
    const before = await a.createSession({ userId: 'u' });
    await f.orm.em.getConnection().execute('delete from kit_signing_keys');
    // Both reload at once (as their timers would): the lock lets one create the key.
    await Promise.all([a.keys.refresh(), b.keys.refresh()]);
    const stored = await rows();
    expect(stored).toHaveLength(1);
    const kid = stored[0]!.kid as string;
    expect(kid).not.toBe(old);
    for (const kit of [a, b]) {
      expect(kit.jwks().keys.map((k) => k.kid)).toEqual([kid]);
      const { accessToken } = await kit.createSession({ userId: 'u' });
      expect(headerKid(accessToken)).toBe(kid);
      await expect(a.verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u' });
      await expect(kit.verifyAccessToken(before.accessToken)).rejects.toMatchObject({
        code: 'ERR_JWKS_NO_MATCHING_KEY',
      });
    }
  });

  it('rotates on schedule, once across instances', async () => {
    const every = 2 * 86400;
    const a = await storeKit({ keyRotation: { every } });
    const b = await storeKit({ keyRotation: { every } });
    expect(await rows()).toHaveLength(1);
    f.clock.advance(every * 1000 - 330_000); // one lead time (jwksMaxAge + refreshInterval) before due
    // Both run their maintenance (as their timers would); the lock lets one insert.
    await Promise.all([a, b, a, b].map(() => storeKit({ keyRotation: { every } })));
    const stored = await rows();
    expect(stored).toHaveLength(2);
    expect((stored[1]!.activates_at as Date).getTime() - (stored[0]!.activates_at as Date).getTime()).toBe(
      every * 1000,
    );
  });

  it('validates the options at factory time', async () => {
    await expect(
      f.makeKit({ keyStore: createMikroOrmKeyStore({ orm: f.orm }) }), // signingKeys too
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS', message: expect.stringMatching(/exactly one/) });
    await expect(f.makeKit({ signingKeys: undefined })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
    });
    await expect(f.makeKit({ signingKeys: undefined, keyStore: {} as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
      message: expect.stringMatching(/keyStore/),
    });
    await expect(storeKit({ keyRotation: { every: '1m' } })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
    });
    await expect(storeKit({ keyRotation: { algorithm: 'HS256' as never } })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
    });
    await expect(storeKit({ previousSecrets: ['short'] })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
    });
  });

  it('rotating KIT_SECRET logs nobody out and re-encrypts the stored keys', async () => {
    const before = await storeKit();
    const jwks = before.jwks();
    const old = await before.createSession({ userId: 'alice' });
    const grace = await before.createSession({ userId: 'bob' });
    const reused = await before.createSession({ userId: 'carol' });
    const carolNext = await before.refresh(reused.refreshToken);
    const oldSecretId = (await rows())[0]!.secret_id;

    // Step 1 (every instance): accept the new secret while still issuing under the old one.
    const accepting = await storeKit({ previousSecrets: [OTHER_SECRET] });
    expect((await rows())[0]!.secret_id).toBe(oldSecretId);
    // Step 2: the new secret is current, the old one accepted.
    const rotating = await storeKit({ secret: OTHER_SECRET, previousSecrets: [TEST_SECRET] });
    expect((await rows())[0]!.secret_id).not.toBe(oldSecretId); // re-encrypted under the new secret
    expect(rotating.jwks()).toEqual(jwks); // same signing keys
    // A token tagged under the old secret refreshes; its successor is tagged under the new one.
    const aliceNext = await rotating.refresh(old.refreshToken);
    // The identical token comes back within the grace window.
    f.clock.advance(1000);
    await expect(rotating.refresh(old.refreshToken)).resolves.toMatchObject({
      refreshToken: aliceNext.refreshToken,
    });
    // While step 2 rolls out, an instance still on step 1 answers the grace replay with the same
    // token (same session, generation and secret) tagged under the old secret; both forms work.
    const bobNext = await rotating.refresh(grace.refreshToken);
    const bobGrace = await accepting.refresh(grace.refreshToken);
    const body = (token: string) => Buffer.from(token.slice(7), 'base64url').subarray(0, 53).toString('hex');
    expect(body(bobGrace.refreshToken)).toBe(body(bobNext.refreshToken));
    // And it understands tokens tagged under the new secret.
    await expect(accepting.refresh(bobNext.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
    // Reuse detection still works across the rotation.
    f.clock.advance(60_000);
    await expect(rotating.refresh(reused.refreshToken)).rejects.toMatchObject({
      code: 'ERR_REFRESH_TOKEN_REUSED',
    });
    await expect(rotating.refresh(carolNext.refreshToken)).rejects.toMatchObject({
      code: 'ERR_SESSION_REVOKED',
    });
    // Step 3 (after sessionIdleTtl): the old secret is dropped; re-tagged tokens keep working.
    const after = await storeKit({ secret: OTHER_SECRET });
    await expect(after.refresh(aliceNext.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
    // A token never refreshed under the new secret is now refused as not ours, revoking nothing.
    const stale = await before.createSession({ userId: 'dave' });
    await expect(after.refresh(stale.refreshToken)).rejects.toMatchObject({
      code: 'ERR_REFRESH_TOKEN_MALFORMED',
    });
    expect((await after.sessions.get(stale.session.id))?.status).toBe('active');
  });
});
