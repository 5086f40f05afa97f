import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bundleVerifier, type VerifierBundle, WORKER_ENTRY } from '@kit/test-support/bundle-verifier';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthKit, generateSigningKeys } from '../index.ts';
import { createMikroOrmKeyStore } from '../mikro-orm/index.ts';

/**
 * The edge proof: `@kit/core/verify` bundled by esbuild for the browser platform and run inside
 * workerd (Cloudflare's runtime, through miniflare), fetching the JWKS and the revocation list over
 * real HTTP from a Node server on 127.0.0.1 that serves this kit's key store, and verifying tokens
 * the kit minted in Node.
 */
const REVOCATIONS_INTERVAL_S = 2;

describe('the verifier in workerd', () => {
  let f: KitFixture;
  let kit: AuthKit;
  let server: Server;
  let mf: Miniflare;
  let bundle: VerifierBundle;
  const served = { jwks: 0, revocations: 0 };

  beforeAll(async () => {
    f = await createKitFixture();
    const keyStore = createMikroOrmKeyStore({ orm: f.orm });
    // Real time: workerd's clock cannot be faked.
    kit = await f.makeKit({ signingKeys: undefined, keyStore, clock: Date.now });
    server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        served.jwks++;
        res.writeHead(200, {
          'content-type': 'application/json',
          'cache-control': `public, max-age=${kit.config.jwksMaxAge}`,
        });
        res.end(JSON.stringify(kit.jwks()));
        return;
      }
      if (req.url === '/revocations') {
        served.revocations++;
        kit.revocations().then(
          (list) => {
            const headers = { 'cache-control': 'no-cache', etag: list.etag };
            if (req.headers['if-none-match'] === list.etag) res.writeHead(304, headers).end();
            else res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(list.body);
          },
          () => res.writeHead(503).end(),
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    bundle = await bundleVerifier(WORKER_ENTRY);
    mf = new Miniflare({
      modules: true,
      script: bundle.code,
      compatibilityDate: '2026-04-01',
      bindings: {
        ISSUER: kit.config.issuer,
        AUDIENCE: String(kit.config.audience),
        JWKS_URL: `${base}/.well-known/jwks.json`,
        REVOCATIONS_URL: `${base}/revocations`,
        REVOCATIONS_INTERVAL: String(REVOCATIONS_INTERVAL_S),
      },
    });
    await mf.ready;
  }, 120_000);

  afterAll(async () => {
    await mf?.dispose();
    await new Promise((resolve) => server?.close(resolve));
    await kit?.close();
    await f?.close();
  });

  async function edge(token: string): Promise<{ ok: boolean; code?: string; sub?: string }> {
    const response = await mf.dispatchFetch('http://edge.test/', {
      headers: { authorization: `Bearer ${token}` },
    });
    return (await response.json()) as { ok: boolean; code?: string; sub?: string };
  }

  it('bundles without any node: import or Node built-in', () => {
    expect(bundle.imports.filter((path) => path.startsWith('node:'))).toEqual([]);
    expect(bundle.code).not.toMatch(/\bfrom\s*["']node:|require\(["']node:|import\(["']node:/);
    expect(bundle.code).not.toMatch(/getBuiltinModule/);
    // The size budget docs/edge.md reports (minified, and gzip).
    expect(bundle.bytes).toBeLessThan(32 * 1024);
    expect(bundle.gzipBytes).toBeLessThan(10 * 1024);
  });

  it('verifies a token minted in Node with keys fetched over HTTP from the kit', async () => {
    const { accessToken } = await kit.createSession({ userId: 'edge-user' });
    expect(await edge(accessToken)).toEqual({ ok: true, sub: 'edge-user', sid: expect.any(String) });
    expect(served.jwks).toBe(1);
    // Cached per Cache-Control: the next verification fetches nothing.
    await edge(accessToken);
    expect(served.jwks).toBe(1);
  });

  it('rejects tampered, expired, wrong-audience, unknown-key and garbage tokens', async () => {
    const { accessToken } = await kit.createSession({ userId: 'edge-user' });
    const [h, p, s] = accessToken.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tamperedPayload = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'admin' })).toString('base64url')}.${s}`;
    expect(await edge(tamperedPayload)).toEqual({ ok: false, code: 'ERR_JWT_INVALID' });
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    expect(await edge(flipped)).toEqual({ ok: false, code: 'ERR_JWT_INVALID' });

    const keyStore = createMikroOrmKeyStore({ orm: f.orm });
    const past = await f.makeKit({ signingKeys: undefined, keyStore, clock: () => Date.now() - 3_600_000 });
    const expired = (await past.createSession({ userId: 'edge-user' })).accessToken;
    expect(await edge(expired)).toEqual({ ok: false, code: 'ERR_JWT_EXPIRED' });
    await past.close();

    const other = await f.makeKit({
      signingKeys: undefined,
      keyStore,
      clock: Date.now,
      audience: 'https://other.test',
    });
    const wrongAudience = (await other.createSession({ userId: 'edge-user' })).accessToken;
    expect(await edge(wrongAudience)).toEqual({ ok: false, code: 'ERR_JWT_CLAIM_INVALID' });
    await other.close();

    const stranger = await f.makeKit({ signingKeys: await generateSigningKeys(), clock: Date.now });
    const unknownKey = (await stranger.createSession({ userId: 'edge-user' })).accessToken;
    expect(await edge(unknownKey)).toEqual({ ok: false, code: 'ERR_JWKS_NO_MATCHING_KEY' });

    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: JSON.parse(Buffer.from(h, 'base64url').toString()).kid })).toString('base64url')}.${p}.`;
    expect(await edge(none)).toEqual({ ok: false, code: 'ERR_JWT_ALG_NOT_ALLOWED' });
    expect(await edge('not-a-token')).toEqual({ ok: false, code: 'ERR_JWT_MALFORMED' });
  });

  it(`rejects a revoked session's token within the revocation interval (${REVOCATIONS_INTERVAL_S} s here)`, async () => {
    const { accessToken, session } = await kit.createSession({ userId: 'edge-user' });
    expect(await edge(accessToken)).toMatchObject({ ok: true });
    const revokedAt = Date.now();
    await kit.sessions.revoke(session.id);
    let rejectedAfter: number | undefined;
    while (Date.now() - revokedAt < (REVOCATIONS_INTERVAL_S + 3) * 1000) {
      const result = await edge(accessToken);
      if (!result.ok) {
        expect(result.code).toBe('ERR_JWT_REVOKED');
        rejectedAfter = Date.now() - revokedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rejectedAfter).toBeDefined();
    // The promise: at most the interval (plus this loop's 100 ms step and request time).
    expect(rejectedAfter!).toBeLessThanOrEqual(REVOCATIONS_INTERVAL_S * 1000 + 500);
    // Other sessions are unaffected.
    const fresh = await kit.createSession({ userId: 'edge-user' });
    expect(await edge(fresh.accessToken)).toMatchObject({ ok: true });
  }, 30_000);
});
