import { createServer } from 'node:net';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDemo, type TestDemo } from '../test/demo-server.ts';
import { createTestDpopClient, type TestDpopClient } from '../test/dpop-client.ts';

/**
 * A third-party OAuth client (oauth4webapi, with its own DPoP implementation) against the demo over
 * a local port: discovery, refresh with DPoP, a protected-resource request with DPoP, and the same
 * refresh token in the hands of a client with another key or none. oauth4webapi has no call for the
 * demo's password login, so the login proof is made with jose, by the same key pair.
 */

/** A port nothing listens on now, so that the demo's issuer (http://127.0.0.1:PORT) is its URL. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('interop with oauth4webapi: a DPoP-bound session of the demo', () => {
  let t: TestDemo;
  let issuer: URL;
  let as: oauth.AuthorizationServer;
  let key: TestDpopClient;
  const client: oauth.Client = { client_id: 'demo-page' };
  const auth = oauth.None();
  const options = { [oauth.allowInsecureRequests]: true };

  beforeAll(async () => {
    t = await createTestDemo({ PORT: String(await freePort()) });
    issuer = new URL(await t.demo.listen());
    as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }),
    );
    key = await createTestDpopClient();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** The demo's login with a proof by `key`: a session bound to it. */
  async function login(): Promise<{ refresh_token: string; token_type: string }> {
    const url = new URL('/login', issuer).href;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: await key.proof('POST', url) },
      body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { refresh_token: string; token_type: string };
  }

  it('discovers the DPoP algorithms, refreshes with DPoP and calls /me with DPoP', async () => {
    expect(as.token_endpoint).toBe(new URL('/token', issuer).href);
    expect(as.dpop_signing_alg_values_supported).toContain('ES256');
    const first = await login();
    expect(first.token_type).toBe('DPoP');

    const dpop = oauth.DPoP(client, key.keyPair);
    expect(await dpop.calculateThumbprint()).toBe(key.jkt);
    const tokens = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token, { ...options, DPoP: dpop }),
    );
    expect(tokens.token_type).toBe('dpop'); // oauth4webapi normalises the case
    expect(tokens.refresh_token).toMatch(/^kit_rt_/);
    expect(tokens.refresh_token).not.toBe(first.refresh_token);

    const me = await oauth.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL('/me', issuer),
      new Headers(),
      null,
      { ...options, DPoP: dpop },
    );
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'user_bob', cnf: { jkt: key.jkt } });

    // And again: each request gets a fresh proof from oauth4webapi.
    const again = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, {
        ...options,
        DPoP: dpop,
      }),
    );
    expect(again.token_type).toBe('dpop');
  });

  it('refuses the refresh token to a client with another key or none, and keeps the session', async () => {
    const first = await login();
    const thief = oauth.DPoP(client, (await createTestDpopClient()).keyPair);
    const withOtherKey = oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token, {
        ...options,
        DPoP: thief,
      }),
    );
    await expect(withOtherKey).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
    const withoutKey = oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token, options),
    );
    await expect(withoutKey).rejects.toMatchObject({ error: 'invalid_dpop_proof', status: 400 });

    // The owner's client still refreshes with the same token; the thief's key cannot call /me.
    const dpop = oauth.DPoP(client, key.keyPair);
    const tokens = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token, { ...options, DPoP: dpop }),
    );
    const refused = oauth.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL('/me', issuer),
      new Headers(),
      null,
      { ...options, DPoP: thief },
    );
    const challenge = await refused.then(
      () => undefined,
      (error: unknown) => error,
    );
    if (!(challenge instanceof oauth.WWWAuthenticateChallengeError)) {
      throw new Error('expected a WWW-Authenticate challenge', { cause: challenge });
    }
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]).toMatchObject({ scheme: 'dpop', parameters: { error: 'invalid_token' } });

    // RFC 7009: revocation needs no proof; the session's tokens stop working, with the key too.
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokens.refresh_token!, options),
    );
    const afterRevoke = oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, {
        ...options,
        DPoP: dpop,
      }),
    );
    await expect(afterRevoke).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });
});
