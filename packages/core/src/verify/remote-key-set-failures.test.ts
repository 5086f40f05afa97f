import { expectKitError } from '@kit/test-support';
import { createRemoteSetup, createTestKey, type FakeReply, jwksOf } from '@kit/test-support/verifier';
import { describe, expect, it } from 'vitest';
import { createVerifier } from './index.ts';
import { MAX_JWKS_BYTES } from './remote-key-set.ts';

// Failing, oversized, slow and invalid JWKS responses; the keys already held keep working.

// Top-level, not in `beforeAll`: the `it.each` tables below are built when the file is collected.
const [key1, key2] = await Promise.all([createTestKey('ES256', 'key-1'), createTestKey('ES256', 'key-2')]);

const SECOND = 1000;

const setup = createRemoteSetup(createVerifier);

describe('remote JWKS: failures', () => {
  it('first fetch failing → ERR_JWKS_FETCH_FAILED, with the cause kept', async () => {
    const { verify, tokenOf } = setup({ networkError: true });
    const token = await tokenOf(key1);
    const error = await expectKitError(verify(token), 'ERR_JWKS_FETCH_FAILED', { token });
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('first fetch answering 500 → ERR_JWKS_FETCH_FAILED', async () => {
    const { verify, tokenOf } = setup({ status: 500, body: 'oops' });
    const error = await expectKitError(verify(await tokenOf(key1)), 'ERR_JWKS_FETCH_FAILED');
    expect(error.message).toContain('500');
  });

  it.each([
    ['non-JSON', { body: '<html>not json</html>' }],
    ['`keys` not an array', { body: { keys: 'x' } }],
    ['no `keys`', { body: { jwks: [] } }],
    ['a JSON array', { body: [] }],
    ['JSON null', { body: 'null' }],
    ['an empty key set', { body: { keys: [] } }],
    ['only a symmetric key', { body: { keys: [{ kty: 'oct', kid: 'k', k: 'c2VjcmV0' }] } }],
  ])('first fetch returning %s → ERR_JWKS_INVALID', async (_name, reply) => {
    const { verify, tokenOf } = setup(reply);
    await expectKitError(verify(await tokenOf(key1)), 'ERR_JWKS_INVALID');
  });

  it('refuses a response body over 1 MiB', async () => {
    const big = { keys: [key1.jwk], padding: 'x'.repeat(MAX_JWKS_BYTES) };
    const { verify, tokenOf } = setup({ body: big });
    await expectKitError(verify(await tokenOf(key1)), 'ERR_JWKS_INVALID');
  });

  it('refuses a declared Content-Length over 1 MiB without reading the body', async () => {
    let pulled = 0;
    const fetch = (async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            pulled++;
            controller.enqueue(new TextEncoder().encode('{"keys":[]}'));
            controller.close();
          },
        }),
        { headers: { 'content-length': String(MAX_JWKS_BYTES + 1) } },
      )) as typeof globalThis.fetch;
    const { verify, tokenOf } = setup({}, { fetch });
    await expectKitError(verify(await tokenOf(key1)), 'ERR_JWKS_INVALID');
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('stops reading an endless body at 1 MiB', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(32);
    let sent = 0;
    const fetch = (async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            sent += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      )) as typeof globalThis.fetch;
    const { verify, tokenOf } = setup({}, { fetch });
    await expectKitError(verify(await tokenOf(key1)), 'ERR_JWKS_INVALID');
    expect(sent).toBeLessThan(MAX_JWKS_BYTES + 4 * chunk.byteLength);
  });

  it('a fetch that does not answer in time fails with ERR_JWKS_FETCH_FAILED', async () => {
    const fetch = ((_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof globalThis.fetch;
    const { verify, tokenOf } = setup({}, { fetch, timeout: 1 });
    const started = performance.now();
    const error = await expectKitError(verify(await tokenOf(key1)), 'ERR_JWKS_FETCH_FAILED');
    expect(performance.now() - started).toBeLessThan(5000);
    expect((error.cause as Error).name).toBe('TimeoutError');
  });

  it('after a failed first fetch, the next verification tries again', async () => {
    const { server, verify, tokenOf } = setup({ networkError: true });
    await expectKitError(verify(await tokenOf(key1)), 'ERR_JWKS_FETCH_FAILED');
    server.set({ body: jwksOf(key1) });
    await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
    expect(server.calls).toBe(2);
  });

  it('a failing refetch keeps the old keys working, and retries only after the cooldown', async () => {
    const { server, verify, tokenOf, clock } = setup({
      body: jwksOf(key1),
      headers: { 'cache-control': 'max-age=60' },
    });
    await verify(await tokenOf(key1));
    server.set({ networkError: true });
    clock.advance(61 * SECOND);
    await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
    expect(server.calls).toBe(2);
    clock.advance(29 * SECOND);
    await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
    expect(server.calls).toBe(2);
    clock.advance(2 * SECOND);
    await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
    expect(server.calls).toBe(3);
  });

  it.each([
    ['HTTP 500', { status: 500, body: 'oops' }],
    ['HTTP 404 with a JWKS body', { status: 404, body: jwksOf(key2) }],
    ['a non-JSON body', { body: 'not json' }],
    ['{ keys: "x" }', { body: { keys: 'x' } }],
    ['an empty set', { body: { keys: [] } }],
    ['a set of unusable keys', { body: { keys: [{ kty: 'oct', kid: 'key-1', k: 'c2VjcmV0' }] } }],
    ['a body over 1 MiB', { body: { keys: [key2.jwk], padding: 'x'.repeat(MAX_JWKS_BYTES) } }],
  ])('%s never replaces a good set', async (_name, bad) => {
    const { server, verify, tokenOf, clock } = setup({
      body: jwksOf(key1),
      headers: { 'cache-control': 'max-age=60' },
    });
    await verify(await tokenOf(key1));
    server.set(bad as FakeReply);
    // Stale set: refetch, which fails.
    clock.advance(61 * SECOND);
    await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
    // Unknown kid after the cooldown: refetch, which fails again.
    clock.advance(31 * SECOND);
    await expectKitError(verify(await tokenOf(key2)), 'ERR_JWKS_NO_MATCHING_KEY');
    expect(server.calls).toBe(3);
    await expect(verify(await tokenOf(key1))).resolves.toBeDefined();
    // The server recovers: the next permitted fetch takes the new set.
    server.set({ body: jwksOf(key2) });
    clock.advance(31 * SECOND);
    await expect(verify(await tokenOf(key2))).resolves.toBeDefined();
    expect(server.calls).toBe(4);
  });
});
