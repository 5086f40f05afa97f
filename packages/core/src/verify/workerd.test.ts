import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  bundleVerifier,
  TELEMETRY_WORKER_ENTRY,
  type VerifierBundle,
  WORKER_ENTRY,
} from '@kit/test-support/bundle-verifier';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthKit, generateSigningKeys } from '../index.ts';
import { createMikroOrmKeyStore } from '../mikro-orm/index.ts';

/**
 * The edge proof: `@kit/core/verify` bundled by esbuild for the browser platform and run inside
 * workerd (Cloudflare's runtime, through miniflare), fetching the JWKS and the revocation list over
 * real HTTP from a Node server on 127.0.0.1 that serves this kit's key store, and verifying tokens
 * the kit minted in Node. The Worker is built as if `@opentelemetry/api` were not installed; a second
 * one, given the API and a meter provider of the SDK, shows the verifier's counters and log lines
 * at the edge.
 */
const REVOCATIONS_INTERVAL_S = 2;
/** The query the reporting Worker's URLs carry: its requests are told apart, and never logged. */
const TELEMETRY_QUERY = 'edge=telemetry';

describe('the verifier in workerd', () => {
  let f: KitFixture;
  let kit: AuthKit;
  let server: Server;
  let mf: Miniflare;
  let bundle: VerifierBundle;
  let base: string;
  const served = { jwks: 0, revocations: 0 };
  /** The reporting Worker's fetches fail with 503 while these are set. */
  const down = { jwks: false, revocations: false };

  beforeAll(async () => {
    f = await createKitFixture();
    const keyStore = createMikroOrmKeyStore({ orm: f.orm });
    // Real time: workerd's clock cannot be faked.
    kit = await f.makeKit({ signingKeys: undefined, keyStore, clock: Date.now });
    server = createServer((req, res) => {
      const [path, query] = (req.url ?? '').split('?');
      const reporting = query === TELEMETRY_QUERY;
      const failing =
        (path === '/.well-known/jwks.json' && down.jwks) || (path === '/revocations' && down.revocations);
      if (reporting && failing) {
        res.writeHead(503).end();
        return;
      }
      if (path === '/.well-known/jwks.json') {
        if (!reporting) served.jwks++;
        res.writeHead(200, {
          'content-type': 'application/json',
          'cache-control': `public, max-age=${kit.config.jwksMaxAge}`,
        });
        res.end(JSON.stringify(kit.jwks()));
        return;
      }
      if (path === '/revocations') {
        if (!reporting) served.revocations++;
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
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // Built as if the optional peer were not installed: the verifier must not need it.
    bundle = await bundleVerifier(WORKER_ENTRY, { unavailable: ['@opentelemetry/api'] });
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

  it('bundles without any node: import or Node built-in, and without @opentelemetry/api', async () => {
    expect(bundle.imports.filter((path) => path.startsWith('node:'))).toEqual([]);
    expect(bundle.code).not.toMatch(/\bfrom\s*["']node:|require\(["']node:|import\(["']node:/);
    expect(bundle.code).not.toMatch(/getBuiltinModule/);
    // No dynamic import at all: workerd's tooling (miniflare, for one) refuses a computed specifier.
    expect(bundle.code).not.toMatch(/\bimport\s*\(/);
    // The build above would have failed on an import of the package (as this one does).
    await expect(
      bundleVerifier(TELEMETRY_WORKER_ENTRY, { unavailable: ['@opentelemetry/api'] }),
    ).rejects.toThrow(/@opentelemetry\/api is not installed/);
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

  it('reports at the edge: counters through the OpenTelemetry SDK, failed fetches through the logger', async () => {
    const reporting = await bundleVerifier(TELEMETRY_WORKER_ENTRY);
    const worker = new Miniflare({
      modules: true,
      script: reporting.code,
      compatibilityDate: '2026-04-01',
      bindings: {
        ISSUER: kit.config.issuer,
        AUDIENCE: String(kit.config.audience),
        JWKS_URL: `${base}/.well-known/jwks.json?${TELEMETRY_QUERY}`,
        REVOCATIONS_URL: `${base}/revocations?${TELEMETRY_QUERY}`,
        REVOCATIONS_INTERVAL: String(REVOCATIONS_INTERVAL_S),
      },
    });
    try {
      const call = async (path: string, token?: string) =>
        (
          await worker.dispatchFetch(`http://edge.test${path}`, {
            headers: token ? { authorization: `Bearer ${token}` } : {},
          })
        ).json() as Promise<unknown>;
      const { accessToken } = await kit.createSession({ userId: 'edge-user' });
      const [h, p, s] = accessToken.split('.') as [string, string, string];
      const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;

      down.jwks = true;
      down.revocations = true;
      expect(await call('/', accessToken)).toEqual({ ok: false, code: 'ERR_JWKS_FETCH_FAILED' });
      down.jwks = false;
      // The revocation list is still down: fail open.
      expect(await call('/', accessToken)).toMatchObject({ ok: true });
      down.revocations = false;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await call('/', accessToken)).toMatchObject({ ok: true });
      expect(await call('/', flipped)).toEqual({ ok: false, code: 'ERR_JWT_INVALID' });

      const points = (await call('/metrics')) as {
        scope: string;
        name: string;
        attributes: object;
        value: number;
      }[];
      const byName = (name: string) =>
        Object.fromEntries(
          points
            .filter((point) => point.name === name)
            .map((point) => [(point.attributes as { outcome: string }).outcome, point.value]),
        );
      expect(byName('kit.verifications')).toEqual({ ERR_JWKS_FETCH_FAILED: 1, valid: 2, ERR_JWT_INVALID: 1 });
      expect(byName('kit.jwks.fetches')).toEqual({ http_5xx: 1, ok: 1 });
      expect(byName('kit.revocations.fetches')).toEqual({ http_5xx: 1, ok: 1 });
      expect(new Set(points.map((point) => point.scope))).toEqual(new Set(['@kit/core/verify']));

      const jwksUrl = `${base}/.well-known/jwks.json`;
      expect(await call('/logs')).toEqual([
        {
          level: 'warn',
          fields: { code: 'ERR_JWKS_FETCH_FAILED', outcome: 'http_5xx', status: 503, url: jwksUrl },
          message: 'kit: fetching the JWKS failed',
        },
        {
          level: 'warn',
          fields: {
            code: 'ERR_JWKS_FETCH_FAILED',
            outcome: 'http_5xx',
            status: 503,
            url: `${base}/revocations`,
          },
          message: 'kit: fetching the revocation list failed',
        },
      ]);
    } finally {
      await worker.dispose();
    }
  }, 60_000);
});
