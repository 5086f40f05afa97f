import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createStubKit } from '../../test/stub-kit.ts';
import { createHealthRoutes } from '../create-health-routes.ts';
import { createKitRoutes } from '../create-kit-routes.ts';
import { createOpenApiDocument } from '../create-openapi-document.ts';
import type { KitRoutesOptions } from '../options.ts';

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        description?: string;
        parameters?: { name: string; in: string }[];
        responses: Record<string, unknown>;
      }
    >
  >;
};

/** `METHOD /path` of every route an app serves, in Hono's path syntax. */
function served(app: Hono): string[] {
  return [...new Set(app.routes.map((r) => `${r.method} ${r.path}`))].sort();
}

/** `METHOD /path` of every operation a document describes, in Hono's path syntax. */
function documented(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    )
    .sort();
}

const address = { clientAddress: () => '203.0.113.9' };
const origin = 'https://app.example';

describe('the route table', () => {
  it('serves exactly the routes the document describes, and nothing more, whatever the options', () => {
    const { kit } = createStubKit();
    const variants: KitRoutesOptions[] = [
      {},
      { basePath: '/auth', cookie: { allowedOrigins: [origin] } },
      { basePath: '/a/b', rateLimit: false },
      { rateLimit: false, revokeRateLimit: { limit: 1 } },
    ];
    for (const options of variants) {
      const routes = served(createKitRoutes(kit, options));
      const doc = createOpenApiDocument(options) as Doc;
      expect(documented(doc)).toEqual(routes);
      expect(routes).toHaveLength(8);
    }
    // The health routes, documented with `health: true`, are those createHealthRoutes serves.
    const health = createHealthRoutes({ kit: { checkReady: async () => ({ ok: true }) as never } });
    const kitOnly = documented(createOpenApiDocument() as Doc);
    const healthOnly = documented(createOpenApiDocument({ health: true }) as Doc).filter(
      (r) => !kitOnly.includes(r),
    );
    expect(healthOnly).toEqual(served(health));
  });

  it('names the cookie-mode header the routes are configured with, and the routes honour that one', async () => {
    const { kit, calls } = createStubKit();
    const options: KitRoutesOptions = {
      ...address,
      cookie: { header: 'X-Csrf-Guard', allowedOrigins: [origin] },
    };
    const doc = createOpenApiDocument(options) as Doc;
    const token = doc.paths['/token']!.post!;
    expect(token.parameters).toEqual([
      expect.objectContaining({ name: 'DPoP', in: 'header', required: false }),
      expect.objectContaining({ name: 'X-Csrf-Guard', in: 'header' }),
    ]);
    expect(token.description).toContain('`X-Csrf-Guard: 1`');
    expect(JSON.stringify(doc)).not.toMatch(/x-kit-cookie/i);

    const app = createKitRoutes(kit, options);
    const refresh = (header: string) =>
      app.request('/token', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: '__Secure-kit_refresh=kit_rt_cookie',
          origin,
          [header]: '1',
        },
        body: 'grant_type=refresh_token',
      });
    expect((await refresh('X-Kit-Cookie')).status).toBe(400);
    expect(calls).toEqual([]);
    expect((await refresh('X-Csrf-Guard')).status).toBe(200);
    expect(calls).toEqual(['refresh']);

    // Unnamed, the header is the default one, in the document and at the routes alike.
    const byDefault = createOpenApiDocument({ cookie: true }) as Doc;
    expect(byDefault.paths['/token']!.post!.parameters![1]!.name).toBe('X-Kit-Cookie');
    const defaults = createKitRoutes(kit, { ...address, cookie: { allowedOrigins: [origin] } });
    const res = await defaults.request('/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: '__Secure-kit_refresh=kit_rt_cookie',
        origin,
        'X-Kit-Cookie': '1',
      },
      body: 'grant_type=refresh_token',
    });
    expect(res.status).toBe(200);
    // Without cookie mode, neither the header nor the cookie is documented; the DPoP header is.
    const plain = createOpenApiDocument() as Doc;
    expect(plain.paths['/token']!.post!.parameters).toEqual([expect.objectContaining({ name: 'DPoP' })]);
    expect(JSON.stringify(plain)).not.toMatch(/x-kit-cookie/i);
  });

  it('documents a 429 exactly where the routes answer one, for every way of setting the two limits', async () => {
    const { kit } = createStubKit();
    const settings = [undefined, false, { limit: 1 }] as const;
    for (const rateLimit of settings) {
      for (const revokeRateLimit of settings) {
        const options: KitRoutesOptions = {
          ...address,
          ...(rateLimit === undefined ? {} : { rateLimit }),
          ...(revokeRateLimit === undefined ? {} : { revokeRateLimit }),
        };
        const doc = createOpenApiDocument(options) as Doc;
        const app = createKitRoutes(kit, options);
        for (const path of ['/token', '/revoke']) {
          // 61 requests: over the default limit of 60 a minute as over a limit of 1.
          const statuses = new Set<number>();
          for (let i = 0; i < 61; i++) {
            const res = await app.request(path, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'token=x',
            });
            statuses.add(res.status);
          }
          const documents429 = '429' in doc.paths[path]!.post!.responses;
          expect({ path, rateLimit, revokeRateLimit, answers429: statuses.has(429) }).toEqual({
            path,
            rateLimit,
            revokeRateLimit,
            answers429: documents429,
          });
        }
      }
    }
  });
});
