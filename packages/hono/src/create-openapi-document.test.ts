import { describe, expect, it } from 'vitest';
import { createOpenApiDocument } from './create-openapi-document.ts';
import { renderApiReference } from './render-api-reference.ts';

describe('createOpenApiDocument and renderApiReference', () => {
  it('documents every route of the contract under the base path, with its statuses', () => {
    const doc = createOpenApiDocument({
      basePath: '/auth/',
      serverUrl: 'https://example.com',
      cookie: true,
    }) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'https://example.com' }]);
    const statuses = (path: string, method: string) =>
      Object.keys(doc.paths[path]![method]!.responses).sort();
    expect(statuses('/auth/token', 'post')).toEqual(['200', '400', '413', '429', '503']);
    expect(statuses('/auth/revoke', 'post')).toEqual(['200', '400', '413', '429', '503']);
    expect(statuses('/auth/.well-known/jwks.json', 'get')).toEqual(['200']);
    expect(statuses('/auth/.well-known/oauth-authorization-server', 'get')).toEqual(['200']);
    expect(statuses('/auth/sessions', 'get')).toEqual(['200', '400', '401', '503']);
    expect(statuses('/auth/sessions/{id}', 'delete')).toEqual(['204', '400', '401', '404', '503']);
    expect(statuses('/auth/logout', 'post')).toEqual(['204', '400', '401', '503']);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc); // plain JSON, servable as is
  });

  it('documents the health routes at the root only when asked', () => {
    type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const without = createOpenApiDocument({ basePath: '/auth' }) as Doc;
    expect(without.paths['/healthz']).toBeUndefined();
    const doc = createOpenApiDocument({ basePath: '/auth', health: true }) as Doc;
    expect(Object.keys(doc.paths['/healthz']!.get!.responses)).toEqual(['200']);
    expect(Object.keys(doc.paths['/readyz']!.get!.responses).sort()).toEqual(['200', '503']);
    expect(doc.paths['/auth/healthz']).toBeUndefined();
  });

  it('renders a self-contained page that escapes everything it shows', () => {
    const html = renderApiReference(
      createOpenApiDocument({
        title: '<script>alert(1)</script>',
        paths: {
          '/x"><img src=x onerror=alert(1)>': { get: { summary: '<b>hi</b>', responses: { 200: {} } } },
        },
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<code>/token</code>');
  });
});
