import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectKitError } from '@kit/test-support';
import { AUDIENCE, createTestKey, ISSUER, mint, type TestKey } from '@kit/test-support/verifier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from './index.ts';

// The default `fetch` path (no `fetch` option, real clock) against a real HTTP server.
describe('remote JWKS over real HTTP', () => {
  let server: Server;
  let base: string;
  let key: TestKey;
  let hits = 0;

  beforeAll(async () => {
    key = await createTestKey('ES256', 'http-key');
    server = createServer((request, response) => {
      hits++;
      if (request.url === '/.well-known/jwks.json') {
        response.writeHead(200, {
          'content-type': 'application/json',
          'cache-control': 'public, max-age=300',
        });
        response.end(JSON.stringify({ keys: [key.jwk] }));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('not found');
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  it('fetches the JWKS with the global fetch and caches it', async () => {
    hits = 0;
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `${base}/.well-known/jwks.json`,
    });
    const token = await mint(key, { nowMs: Date.now() });
    await expect(verify(token)).resolves.toMatchObject({ sub: 'user-1', iss: ISSUER });
    await expect(verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    expect(hits).toBe(1);
  });

  it('reports a 404 as ERR_JWKS_FETCH_FAILED', async () => {
    const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${base}/missing` });
    await expectKitError(verify(await mint(key, { nowMs: Date.now() })), 'ERR_JWKS_FETCH_FAILED');
  });

  it('reports a refused connection as ERR_JWKS_FETCH_FAILED', async () => {
    // A port that was just free: listen on port 0, note the port, close.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    probe.close();
    await once(probe, 'close');
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    });
    await expectKitError(verify(await mint(key, { nowMs: Date.now() })), 'ERR_JWKS_FETCH_FAILED');
  });
});
