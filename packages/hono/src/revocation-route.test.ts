import { createVerifier } from '@kit/core/verify';
import { useMemoryKitFixture } from '@kit/test-support';
import { describe, expect, it } from 'vitest';
import { createBearerAuth } from './create-bearer-auth.ts';
import { createKitRoutes } from './create-kit-routes.ts';

describe('revocation list route', () => {
  const f = useMemoryKitFixture();

  it('publishes revoked sessions with an ETag, and edge verifiers then refuse their tokens with invalid_token', async () => {
    const app = createKitRoutes(f.kit);
    const tokens = await f.kit.createSession({ userId: 'edge-user' });
    const first = await app.request('/revocations');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const unchanged = await app.request('/revocations', { headers: { 'if-none-match': etag! } });
    expect(unchanged.status).toBe(304);

    await f.kit.sessions.revoke(tokens.session.id);
    const changed = await app.request('/revocations', { headers: { 'if-none-match': etag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);

    // An edge-style API: verifier with the kit's JWKS and this route as its revocation list.
    const verify = createVerifier({
      issuer: f.kit.config.issuer,
      audience: f.kit.config.audience,
      jwks: f.kit.jwks(),
      revocationsUrl: 'http://auth.test/revocations',
      clock: f.clock.now,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) =>
        app.request(String(input).replace('http://auth.test', ''), init)) as typeof fetch,
    });
    await expect(verify(tokens.accessToken)).rejects.toMatchObject({ code: 'ERR_JWT_REVOKED' });
    const api = createKitRoutes(f.kit);
    api.get('/api', createBearerAuth({ verify }), (c) => c.text('ok'));
    const res = await api.request('/api', { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });
});
