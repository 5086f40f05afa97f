import { createKitOrm, migrate } from '@kit/core/mikro-orm';
import { type RunningServer, startServer } from '@kit/example-hono-app/server';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, type WorkerBundle } from './bundle-worker.ts';
import worker, { type Env } from './worker.ts';

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'https://api.example.test';

/**
 * The Worker against the Hono example's JWKS over real HTTP: tokens from the example's `/login`,
 * checked by the Worker's fetch handler in Node, and in workerd from its esbuild bundle.
 */
describe('the edge Worker', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let env: Env;
  let bundle: WorkerBundle;
  let mf: Miniflare;

  beforeAll(async () => {
    db = await createTestDatabase();
    const orm = await createKitOrm({ databaseUrl: db.url });
    await migrate(orm);
    await orm.close();
    server = await startServer({
      databaseUrl: db.url,
      secret: 'edge-test-secret-0123456789-abcdefghijklmnopqrst',
      issuer: ISSUER,
      audience: AUDIENCE,
      port: 0,
      host: '127.0.0.1',
    });
    env = { ISSUER, AUDIENCE, JWKS_URL: `${server.url}/.well-known/jwks.json` };
    bundle = await bundleWorker();
    mf = new Miniflare({
      modules: true,
      script: bundle.code,
      compatibilityDate: '2026-04-01',
      bindings: { ...env },
    });
    await mf.ready;
  }, 120_000);

  afterAll(async () => {
    await mf?.dispose();
    await server?.close();
    await db?.drop();
  });

  async function login(): Promise<string> {
    const response = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  }

  function tamper(token: string): string {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    return `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url')}.${signature}`;
  }

  const runtimes = {
    node: (headers: Record<string, string>) =>
      worker.fetch(new Request('http://edge.test/', { headers }), env),
    workerd: async (headers: Record<string, string>) => {
      const response = await mf.dispatchFetch('http://edge.test/', { headers });
      return new Response(await response.text(), { status: response.status, headers: [...response.headers] });
    },
  };

  it('bundles for the edge with no node: import', () => {
    expect(bundle.imports.filter((path) => path.startsWith('node:'))).toEqual([]);
    expect(bundle.code).not.toMatch(/\bfrom\s*["']node:|require\(["']node:|import\(["']node:/);
  });

  for (const [runtime, call] of Object.entries(runtimes)) {
    describe(`in ${runtime}`, () => {
      it("verifies the example's access token with its remote JWKS", async () => {
        const response = await call({ authorization: `Bearer ${await login()}` });
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ user: 'user_alice', session: expect.any(String) });
      });

      it('answers RFC 6750 challenges to missing, malformed and forged tokens', async () => {
        const missing = await call({});
        expect(missing.status).toBe(401);
        expect(missing.headers.get('www-authenticate')).toBe('Bearer');

        const malformed = await call({ authorization: 'Basic YWxpY2U6YWxpY2U=' });
        expect(malformed.status).toBe(400);
        expect(malformed.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"');

        const token = await login();
        for (const forged of [tamper(token), 'not.a.token', `${token.slice(0, -4)}AAAA`]) {
          const response = await call({ authorization: `Bearer ${forged}` });
          expect(response.status).toBe(401);
          expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
          expect(await response.text()).not.toContain(forged);
        }
      });
    });
  }
});
