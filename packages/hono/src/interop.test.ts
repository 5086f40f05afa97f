import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { AuthKit } from '@kit/core';
import { useMemoryKitFixture } from '@kit/test-support';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKitRoutes } from './create-kit-routes.ts';

// A third-party OAuth client (oauth4webapi) against the routes served by a real HTTP server.
describe('interop with oauth4webapi', () => {
  const f = useMemoryKitFixture();
  let kit: AuthKit;
  let server: ReturnType<typeof serve>;
  let issuer: URL;
  beforeAll(async () => {
    let app: { fetch: (request: Request, env?: unknown) => Response | Promise<Response> } | undefined;
    server = serve({ fetch: (request, env) => app!.fetch(request, env), port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    issuer = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    kit = await f.makeKit({ issuer: issuer.origin, clock: Date.now });
    app = createKitRoutes(kit);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('discovers the server, refreshes with rotation, revokes, and sees invalid_grant afterwards', async () => {
    const options = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }),
    );
    expect(as.token_endpoint).toBe(`${issuer.origin}/token`);
    expect(as.revocation_endpoint).toBe(`${issuer.origin}/revoke`);
    const client: oauth.Client = { client_id: 'kit' };
    const auth = oauth.None();

    const first = await kit.createSession({ userId: 'user-interop' });
    const response = await oauth.refreshTokenGrantRequest(as, client, auth, first.refreshToken, options);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const tokens = await oauth.processRefreshTokenResponse(as, client, response);
    expect(tokens.token_type).toBe('bearer'); // oauth4webapi normalises the case
    expect(tokens.refresh_token).toMatch(/^kit_rt_/);
    expect(tokens.refresh_token).not.toBe(first.refreshToken);
    expect((await kit.verifyAccessToken(tokens.access_token)).sub).toBe('user-interop');

    const again = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, options),
    );

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, again.refresh_token!, options),
    );
    // RFC 7009: an unknown token is no error either.
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, 'kit_rt_unknown', options),
    );

    const refused = oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, again.refresh_token!, options),
    );
    await expect(refused).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });
});
