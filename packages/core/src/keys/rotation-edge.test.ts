import { TEST_SECRET } from '@kit/test-support';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import { importJWK, SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthKit } from '../index.ts';
import { createMikroOrmKeyStore } from '../mikro-orm/index.ts';
import { type AccessTokenVerifier, createVerifier } from '../verify/index.ts';
import { createKeyWrapper, keyAad } from './key-wrap.ts';

/**
 * A key rotation seen from the edge, on a fake clock: two kit instances on one key store (one
 * learns of the rotation only at its next reload), JWKS served with `Cache-Control: max-age =
 * jwksMaxAge`, and edge verifiers whose caches were filled at different moments. Every token
 * signed before, during and after the rotation must verify at every verifier for its whole
 * lifetime, and a token signed by the retired key after it left the JWKS must be rejected.
 */
describe('key rotation at the edge (fake clock)', () => {
  let f: KitFixture;
  let a: AuthKit;
  let b: AuthKit;
  beforeAll(async () => {
    f = await createKitFixture();
    const keyStore = createMikroOrmKeyStore({ orm: f.orm });
    // A long reload interval: instance b reloads only when the test says so.
    a = await f.makeKit({ signingKeys: undefined, keyStore, keyRotation: { refreshInterval: 30 } });
    b = await f.makeKit({ signingKeys: undefined, keyStore, keyRotation: { refreshInterval: 30 } });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await f.close();
  });

  it('tokens before, during and after a rotation verify everywhere; a removed key does not', async () => {
    const start = f.clock.now();
    const maxAge = a.config.jwksMaxAge;
    const ttl = a.config.accessTokenTtl;
    const served = (kit: AuthKit, cacheControl = `public, max-age=${maxAge}`) =>
      (async () =>
        new Response(JSON.stringify(kit.jwks()), {
          headers: { 'content-type': 'application/json', 'cache-control': cacheControl },
        })) as typeof fetch;
    // Six verifiers behind a load balancer: three read instance a's JWKS, three instance b's, and
    // each fills its cache at a different moment of the first max-age.
    const verifiers: { verify: AccessTokenVerifier; startsAt: number }[] = [0, 50, 120, 180, 240, 299].map(
      (offset, i) => ({
        startsAt: start + offset * 1000,
        verify: createVerifier({
          issuer: a.config.issuer,
          audience: a.config.audience,
          jwksUrl: 'https://auth.test/.well-known/jwks.json',
          fetch: served(i % 2 === 0 ? a : b),
          clock: f.clock.now,
        }),
      }),
    );
    // And one that never caches (a CDN-less verifier, no cooldown): it sees every JWKS change at once.
    verifiers.push({
      startsAt: start,
      verify: createVerifier({
        issuer: a.config.issuer,
        audience: a.config.audience,
        jwksUrl: 'https://auth.test/.well-known/jwks.json',
        fetch: served(a, 'no-cache'),
        cooldown: 0,
        clock: f.clock.now,
      }),
    });
    const kidOf = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
    const oldKid = a.jwks().keys[0]!.kid;
    const tokens: { token: string; exp: number }[] = [];
    const signedBy = new Set<string>();
    let rotation: { kid: string; activatesAt: Date } | undefined;
    const end = start + (100 + maxAge + 30 + 2 * (ttl + 60) + 2 * maxAge) * 1000;
    let checks = 0;

    for (let now = start; now <= end; now += 5000) {
      f.clock.set(now);
      const elapsed = (now - start) / 1000;
      if (elapsed === 100) rotation = await a.keys.rotate(); // on demand, on instance a
      if (elapsed === 130) await b.keys.refresh(); // instance b's next reload
      if (elapsed % 30 === 0) {
        for (const kit of [a, b]) {
          const { accessToken } = await kit.createSession({ userId: 'u' });
          tokens.push({ token: accessToken, exp: now + ttl * 1000 });
          signedBy.add(kidOf(accessToken));
        }
      }
      for (const { verify, startsAt } of verifiers) {
        if (now < startsAt) continue;
        for (const { token, exp } of tokens) {
          if (exp <= now) continue;
          const outcome = await verify(token).then(
            () => 'ok',
            (error: { code?: string }) => error.code,
          );
          expect(outcome, `token of ${kidOf(token)} at +${elapsed}s`).toBe('ok');
          checks++;
        }
      }
    }
    expect(rotation).toBeDefined();
    expect(signedBy).toEqual(new Set([oldKid, rotation!.kid])); // both keys really signed
    expect(checks).toBeGreaterThan(1000);
    // The old key left the JWKS.
    expect(a.jwks().keys.map((k) => k.kid)).toEqual([rotation!.kid]);

    // A token the retired key signs now (a leaked key, say), valid for an hour: rejected everywhere.
    const client = new pg.Client({ connectionString: f.db.url });
    await client.connect();
    const row = (await client.query('select * from kit_signing_keys where kid = $1', [oldKid])).rows[0];
    await client.end();
    const wrapper = await createKeyWrapper(new TextEncoder().encode(TEST_SECRET));
    const privateJwk = JSON.parse(
      new TextDecoder().decode(
        await wrapper.decrypt(new Uint8Array(row.encrypted_key), keyAad(oldKid, 'ES256')),
      ),
    );
    const nowS = Math.floor(f.clock.now() / 1000);
    const forged = await new SignJWT({ client_id: 'default', sid: 's', jti: 'j', sub: 'u' })
      .setProtectedHeader({ alg: 'ES256', kid: oldKid, typ: 'at+jwt' })
      .setIssuer(a.config.issuer)
      .setAudience(a.config.audience as string)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + 3600)
      .sign(await importJWK(privateJwk, 'ES256'));
    for (const { verify } of verifiers) {
      await expect(verify(forged)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    }
    await expect(a.verifyAccessToken(forged)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  }, 60_000);
});
