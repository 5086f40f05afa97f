import { bundleVerifier, DPOP_WORKER_ENTRY, type VerifierBundle } from '@kit/test-support/bundle-verifier';
import { accessTokenHash, type DpopKey, generateDpopKey, makeProof } from '@kit/test-support/dpop';
import { AUDIENCE, createTestKey, ISSUER, mint, type TestKey } from '@kit/test-support/verifier';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thumbprintOf } from './request-verifier-test-support.ts';

/**
 * The edge proof of DPoP on the resource side: a Worker using `createRequestVerifier` from
 * `@kit/core/verify`, bundled by esbuild for the browser platform and run inside workerd (through
 * miniflare), verifying access tokens bound to a client key (`cnf.jkt`) and their DPoP proofs,
 * made here with `node:crypto`. Real time: workerd's clock cannot be faked.
 */
const URL_ = 'http://edge.test/orders/42';

interface Answer {
  ok: boolean;
  sub?: string;
  scheme?: string;
  jkt?: string;
  code?: string;
  check?: string;
  claim?: string;
}

describe('the DPoP request verifier in workerd', () => {
  let issuer: TestKey;
  let mf: Miniflare;
  let bundle: VerifierBundle;
  const key: DpopKey = generateDpopKey('ES256');
  const other: DpopKey = generateDpopKey('EdDSA');

  beforeAll(async () => {
    issuer = await createTestKey('ES256', 'edge-issuer');
    bundle = await bundleVerifier(DPOP_WORKER_ENTRY, { unavailable: ['@opentelemetry/api'] });
    mf = new Miniflare({
      modules: true,
      script: bundle.code,
      compatibilityDate: '2026-04-01',
      bindings: { ISSUER, AUDIENCE, JWKS: JSON.stringify({ keys: [issuer.jwk] }) },
    });
    await mf.ready;
  }, 120_000);

  afterAll(async () => {
    await mf?.dispose();
  });

  const token = async (bound?: DpopKey) =>
    mint(issuer, {
      nowMs: Date.now(),
      claims: bound === undefined ? {} : { cnf: { jkt: await thumbprintOf(bound) } },
    });
  const proof = (by: DpopKey, forToken: string, claims: Record<string, unknown> = {}) =>
    makeProof(by, {
      claims: {
        htm: 'GET',
        htu: URL_,
        iat: Math.floor(Date.now() / 1000),
        ath: accessTokenHash(forToken),
        ...claims,
      },
    });

  async function edge(authorization: string, dpop?: string, method = 'GET'): Promise<Answer> {
    const headers: Record<string, string> = { authorization };
    if (dpop !== undefined) headers.dpop = dpop;
    const response = await mf.dispatchFetch(URL_, { method, headers });
    return (await response.json()) as Answer;
  }

  it('bundles without any node: import, within its own size budget', () => {
    expect(bundle.imports.filter((path) => path.startsWith('node:'))).toEqual([]);
    expect(bundle.code).not.toMatch(/\bfrom\s*["']node:|require\(["']node:|import\(["']node:/);
    expect(bundle.code).not.toMatch(/getBuiltinModule/);
    expect(bundle.code).not.toMatch(/\bimport\s*\(/);
    // docs/edge.md reports it: the Bearer-only Worker's budget (32 KiB, 10 KiB gzip) does not
    // carry DPoP, which is a separate export; this one does.
    expect(bundle.bytes).toBeLessThan(44 * 1024);
    expect(bundle.gzipBytes).toBeLessThan(15 * 1024);
  });

  it('accepts a bound token with a proof by its key, and an unbound token as Bearer', async () => {
    const bound = await token(key);
    expect(await edge(`DPoP ${bound}`, proof(key, bound))).toEqual({
      ok: true,
      sub: 'user-1',
      scheme: 'DPoP',
      jkt: await thumbprintOf(key),
    });
    expect(await edge(`Bearer ${await token()}`)).toEqual({ ok: true, sub: 'user-1', scheme: 'Bearer' });
  });

  it('refuses a bound token sent as Bearer, a proof by another key, a bad ath, htm or htu', async () => {
    const bound = await token(key);
    const cnf = { ok: false, code: 'ERR_JWT_CLAIM_INVALID', claim: 'cnf' };
    expect(await edge(`Bearer ${bound}`)).toEqual(cnf);
    expect(await edge(`Bearer ${bound}`, proof(key, bound))).toEqual(cnf);
    expect(await edge(`DPoP ${bound}`, proof(other, bound))).toEqual(cnf);
    const unbound = await token();
    expect(await edge(`DPoP ${unbound}`, proof(key, unbound))).toEqual(cnf);
    const invalid = (check: string) => ({ ok: false, code: 'ERR_DPOP_PROOF_INVALID', check });
    expect(await edge(`DPoP ${bound}`, proof(key, unbound))).toEqual(invalid('ath'));
    expect(await edge(`DPoP ${bound}`, proof(key, bound), 'DELETE')).toEqual(invalid('htm'));
    expect(await edge(`DPoP ${bound}`, proof(key, bound, { htu: 'http://edge.test/orders/43' }))).toEqual(
      invalid('htu'),
    );
    expect(await edge(`DPoP ${bound}`)).toEqual(invalid('missing'));
  });

  it('refuses a proof replayed to the same isolate', async () => {
    const bound = await token(key);
    const once = proof(key, bound);
    expect(await edge(`DPoP ${bound}`, once)).toMatchObject({ ok: true });
    expect(await edge(`DPoP ${bound}`, once)).toEqual({
      ok: false,
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'replay',
    });
    // A new proof for the same token goes through.
    expect(await edge(`DPoP ${bound}`, proof(key, bound))).toMatchObject({ ok: true });
  });
});
