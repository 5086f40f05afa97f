import { expectKitError } from '@kit/test-support';
import { DPOP_T0, generateDpopKey, makeProof } from '@kit/test-support/dpop';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryDpopReplayCache } from '../dpop/create-memory-dpop-replay-cache.ts';
import { CRYPTO_PATHS } from '../dpop/dpop-test-support.ts';
import type { DpopReplayCache } from '../dpop/replay-cache.ts';
import { createRequestVerifier } from './create-request-verifier.ts';
import { createRequestVerifier as createNodeRequestVerifier } from './node.ts';
import {
  createRequestSetup,
  dpopRequest,
  proofFor,
  RESOURCE_METHOD,
  RESOURCE_URL,
  type RequestSetup,
  thumbprintOf,
} from './request-verifier-test-support.ts';
import type { RequestVerifier } from './request-verifier-types.ts';

const key = generateDpopKey('ES256');
const other = generateDpopKey('EdDSA');

describe.each(CRYPTO_PATHS)('createRequestVerifier (%s)', (_, crypto) => {
  let s: RequestSetup;
  let requests: RequestVerifier;
  beforeAll(async () => {
    s = await createRequestSetup(crypto);
  });
  beforeEach(() => {
    s.verified.length = 0;
    s.clock.set(DPOP_T0);
    requests = s.requests({}, crypto);
  });

  async function refused(
    request: Parameters<RequestVerifier['verify']>[0],
    expected: { code: string; check?: string; claim?: string },
    secrets: string[] = [],
  ) {
    const error = await expectKitError(requests.verify(request), expected.code as never);
    expect(error).toMatchObject(expected);
    for (const secret of secrets) {
      expect(error.message).not.toContain(secret);
      for (const part of secret.split('.')) if (part.length >= 8) expect(error.message).not.toContain(part);
    }
    return error;
  }

  it('accepts a DPoP-bound token with a valid proof by its key, and says which key', async () => {
    const token = await s.token(key);
    const result = await requests.verify(dpopRequest(token, proofFor(key, token)));
    expect(result).toEqual({
      claims: expect.objectContaining({ sub: 'user-1', cnf: { jkt: await thumbprintOf(key) } }),
      scheme: 'DPoP',
      jkt: await thumbprintOf(key),
    });
    // The scheme in any case, several spaces.
    const lower = await requests.verify(
      dpopRequest(token, proofFor(key, token), { authorization: `dpop  ${token}` }),
    );
    expect(lower.scheme).toBe('DPoP');
    expect(requests.algorithms).toEqual(['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256']);
  });

  it('accepts an unbound token as Bearer, without reading any DPoP header', async () => {
    const token = await s.token();
    for (const authorization of [`Bearer ${token}`, `bearer ${token}`, `BEARER   ${token}`]) {
      expect(
        await requests.verify({ authorization, dpop: 'not-a-proof', method: 'GET', url: RESOURCE_URL }),
      ).toEqual({ claims: expect.objectContaining({ sub: 'user-1' }), scheme: 'Bearer' });
    }
  });

  it('refuses a bound token presented as Bearer, whatever binding it carries', async () => {
    const bound = await s.token(key);
    await refused(
      { authorization: `Bearer ${bound}`, method: 'GET', url: RESOURCE_URL },
      {
        code: 'ERR_JWT_CLAIM_INVALID',
        claim: 'cnf',
      },
      [bound],
    );
    // With a valid proof too: the scheme decides.
    await refused(dpopRequest(bound, proofFor(key, bound), { authorization: `Bearer ${bound}` }), {
      code: 'ERR_JWT_CLAIM_INVALID',
      claim: 'cnf',
    });
    for (const cnf of [{ 'x5t#S256': 'abc' }, {}, null, 'jkt']) {
      const token = await s.token(undefined, { cnf });
      await refused(
        { authorization: `Bearer ${token}`, method: 'GET', url: RESOURCE_URL },
        {
          code: 'ERR_JWT_CLAIM_INVALID',
          claim: 'cnf',
        },
      );
    }
  });

  it('refuses a token without cnf.jkt presented as DPoP, before the proof is used', async () => {
    const cache = createMemoryDpopReplayCache();
    requests = s.requests({ replayCache: cache }, crypto);
    for (const cnf of [undefined, { 'x5t#S256': 'abc' }, { jkt: '' }, { jkt: 1 }, [], null]) {
      const token = await s.token(undefined, cnf === undefined ? {} : { cnf });
      const proof = proofFor(key, token);
      await refused(dpopRequest(token, proof), { code: 'ERR_JWT_CLAIM_INVALID', claim: 'cnf' }, [token]);
    }
    // The proofs above used up nothing: a proof is remembered only once everything before passed.
    const token = await s.token(key);
    const proof = proofFor(key, token, { jti: 'fixed-jti' });
    await refused(dpopRequest(await s.token(), proof), { code: 'ERR_JWT_CLAIM_INVALID', claim: 'cnf' });
    await expect(requests.verify(dpopRequest(token, proof))).resolves.toMatchObject({ scheme: 'DPoP' });
  });

  it("refuses a valid proof by another key than the token's (a stolen token)", async () => {
    const token = await s.token(key);
    await refused(
      dpopRequest(token, proofFor(other, token)),
      { code: 'ERR_JWT_CLAIM_INVALID', claim: 'cnf' },
      [token],
    );
    // A jkt that differs in its last character only.
    const jkt = await thumbprintOf(key);
    const near = await s.token(undefined, {
      cnf: { jkt: `${jkt.slice(0, -1)}${jkt.endsWith('A') ? 'B' : 'A'}` },
    });
    await refused(dpopRequest(near, proofFor(key, near)), { code: 'ERR_JWT_CLAIM_INVALID', claim: 'cnf' });
  });

  it('refuses a proof made for another access token (ath)', async () => {
    const token = await s.token(key);
    const sibling = await s.token(key, { jti: 'another-token' });
    await refused(dpopRequest(token, proofFor(key, sibling)), {
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'ath',
    });
    await refused(dpopRequest(token, proofFor(key, token, { ath: undefined })), {
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'ath',
    });
  });

  it('refuses a proof made for another method or another URL (htm, htu)', async () => {
    const token = await s.token(key);
    await refused(dpopRequest(token, proofFor(key, token), { method: 'DELETE' }), {
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'htm',
    });
    await refused(dpopRequest(token, proofFor(key, token, { htm: 'POST' })), {
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'htm',
    });
    await refused(dpopRequest(token, proofFor(key, token), { url: 'https://api.example.com/orders/43' }), {
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'htu',
    });
    await refused(dpopRequest(token, proofFor(key, token, { htu: 'https://api.example.com/orders' })), {
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'htu',
    });
    // The query is not part of htu.
    await expect(
      requests.verify(dpopRequest(token, proofFor(key, token), { url: `${RESOURCE_URL}?page=2` })),
    ).resolves.toMatchObject({ scheme: 'DPoP' });
  });

  it('refuses a proof replayed to the same verifier, and an old one', async () => {
    const token = await s.token(key);
    const proof = proofFor(key, token);
    await expect(requests.verify(dpopRequest(token, proof))).resolves.toMatchObject({ scheme: 'DPoP' });
    await refused(dpopRequest(token, proof), { code: 'ERR_DPOP_PROOF_INVALID', check: 'replay' });
    s.clock.advance(66_000);
    const fresh = await s.token(key);
    await refused(dpopRequest(fresh, proofFor(key, fresh, { iat: (s.clock.now() - 66_000) / 1000 })), {
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'iat',
    });
  });

  it('asks for the proof before verifying the token, and refuses several', async () => {
    const token = await s.token(key);
    for (const dpop of [null, undefined, '', []]) {
      await refused(dpopRequest(token, null, { dpop }), { code: 'ERR_DPOP_PROOF_INVALID', check: 'missing' });
    }
    expect(s.verified).toEqual([]);
    const proof = proofFor(key, token);
    await refused(dpopRequest(token, null, { dpop: [proof, proofFor(key, token)] }), {
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'malformed',
    });
    await refused(dpopRequest(token, `${proof}, ${proofFor(key, token)}`), {
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'malformed',
    });
  });

  it('verifies the token first: a bad token is a token failure, whatever the proof', async () => {
    const token = await s.token(key);
    const tampered = `${token.slice(0, -4)}AAAA`;
    await refused(dpopRequest(tampered, proofFor(key, tampered)), { code: 'ERR_JWT_INVALID' }, [tampered]);
    s.clock.advance(400_000);
    await refused(dpopRequest(token, proofFor(key, token, { iat: s.clock.now() / 1000 })), {
      code: 'ERR_JWT_EXPIRED',
    });
  });

  it('refuses an Authorization header that is missing, of another scheme or ill-formed', async () => {
    const token = await s.token();
    for (const authorization of [
      undefined,
      null,
      '',
      `Basic ${token}`,
      `Bearer${token}`,
      `Bearer ${token} x`,
      `Bearer ${token}, Bearer ${token}`,
      'Bearer ',
      `DPoP: ${token}`,
    ]) {
      await refused({ authorization, method: 'GET', url: RESOURCE_URL }, { code: 'ERR_INVALID_INPUT' }, [
        token,
      ]);
    }
    await refused(
      { authorization: 1 as never, method: 'GET', url: RESOURCE_URL },
      { code: 'ERR_INVALID_INPUT' },
    );
    await refused(null as never, { code: 'ERR_INVALID_INPUT' });
    expect(s.verified).toEqual([]);
  });

  it('with dpop: false, takes Bearer only and still refuses bound tokens', async () => {
    requests = s.requests(false, crypto);
    expect(requests.algorithms).toEqual([]);
    const bound = await s.token(key);
    await refused(dpopRequest(bound, proofFor(key, bound)), { code: 'ERR_INVALID_INPUT' });
    await refused(
      { authorization: `Bearer ${bound}`, method: 'GET', url: RESOURCE_URL },
      {
        code: 'ERR_JWT_CLAIM_INVALID',
        claim: 'cnf',
      },
    );
    const plain = await s.token();
    await expect(
      requests.verify({ authorization: `Bearer ${plain}`, method: 'GET', url: RESOURCE_URL }),
    ).resolves.toMatchObject({ scheme: 'Bearer' });
  });

  it('remembers proofs in the replay cache given, or nowhere with replayCache: false', async () => {
    const seen: string[] = [];
    const shared: DpopReplayCache = {
      remember: async (replayKey, { expiresAt, now }) => {
        seen.push(replayKey);
        expect(expiresAt - now).toBe(65_001);
        return seen.filter((k) => k === replayKey).length === 1;
      },
    };
    const token = await s.token(key);
    const proof = proofFor(key, token);
    const a = s.requests({ replayCache: shared }, crypto);
    const b = s.requests({ replayCache: shared }, crypto);
    await expect(a.verify(dpopRequest(token, proof))).resolves.toMatchObject({ scheme: 'DPoP' });
    // Another instance on the same cache catches the replay.
    await expect(b.verify(dpopRequest(token, proof))).rejects.toMatchObject({ check: 'replay' });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Each verifier's own memory cache: a replay to another instance goes through.
    const c = s.requests({}, crypto);
    const d = s.requests({}, crypto);
    const second = proofFor(key, token);
    await expect(c.verify(dpopRequest(token, second))).resolves.toBeDefined();
    await expect(d.verify(dpopRequest(token, second))).resolves.toBeDefined();
    await expect(c.verify(dpopRequest(token, second))).rejects.toMatchObject({ check: 'replay' });

    const none = s.requests({ replayCache: false }, crypto);
    await expect(none.verify(dpopRequest(token, second))).resolves.toBeDefined();
    await expect(none.verify(dpopRequest(token, second))).resolves.toBeDefined();
    // The window still bounds it.
    s.clock.advance(66_000);
    const later = await s.token(key);
    await expect(none.verify(dpopRequest(later, proofFor(key, later, { iat: 0 })))).rejects.toMatchObject({
      check: 'iat',
    });
  });

  it('refuses the request when the replay cache cannot answer', async () => {
    const broken: DpopReplayCache = {
      remember: async () => {
        throw Object.assign(new Error('down'), { code: 'ERR_STORE_UNAVAILABLE' });
      },
    };
    requests = s.requests({ replayCache: broken }, crypto);
    const token = await s.token(key);
    await expect(requests.verify(dpopRequest(token, proofFor(key, token)))).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
  });

  it('reads a Fetch API Request', async () => {
    const token = await s.token(key);
    const request = new Request(RESOURCE_URL, {
      method: RESOURCE_METHOD,
      headers: { authorization: `DPoP ${token}`, dpop: proofFor(key, token) },
    });
    await expect(requests.verify(request)).resolves.toMatchObject({ jkt: await thumbprintOf(key) });
    const elsewhere = new Request('https://api.example.com/orders/7', {
      headers: { authorization: `DPoP ${token}`, dpop: proofFor(key, token) },
    });
    await expect(requests.verify(elsewhere)).rejects.toMatchObject({ check: 'htu' });
  });
});

describe('createRequestVerifier options', () => {
  const verify = async () => ({}) as never;

  it('throws at creation for bad options, saying what to set', () => {
    for (const create of [createRequestVerifier, createNodeRequestVerifier]) {
      expectKitError(() => create(undefined as never), 'ERR_INVALID_OPTIONS');
      expectKitError(() => create({} as never), 'ERR_INVALID_OPTIONS');
      expectKitError(() => create({ verify: 'x' } as never), 'ERR_INVALID_OPTIONS');
      expectKitError(() => create({ verify, dpop: 'on' as never }), 'ERR_INVALID_OPTIONS');
      expectKitError(() => create({ verify, dpop: { replayCache: {} as never } }), 'ERR_INVALID_OPTIONS');
      expectKitError(() => create({ verify, dpop: { replayCache: true as never } }), 'ERR_INVALID_OPTIONS');
      expectKitError(
        () => create({ verify, dpop: { algorithms: ['HS256' as never] } }),
        'ERR_INVALID_OPTIONS',
      );
      expectKitError(() => create({ verify, dpop: { maxAge: '2h' } }), 'ERR_INVALID_OPTIONS');
      expect(create({ verify, dpop: { algorithms: ['EdDSA', 'ES256'] } }).algorithms).toEqual([
        'EdDSA',
        'ES256',
      ]);
    }
  });

  it('the node entry checks proofs the same way', async () => {
    const s = await createRequestSetup(CRYPTO_PATHS[0]![1]);
    const token = await s.token(key);
    const requests = createNodeRequestVerifier({
      verify: (await import('./create-verifier.ts')).createVerifier({
        issuer: 'https://auth.example.com',
        audience: 'https://api.example.com',
        jwks: { keys: [s.issuerKey.jwk] },
        clock: s.clock.now,
      }),
      dpop: { clock: s.clock.now },
    });
    await expect(requests.verify(dpopRequest(token, proofFor(key, token)))).resolves.toMatchObject({
      jkt: await thumbprintOf(key),
    });
    await expect(
      requests.verify(
        dpopRequest(token, makeProof(key, { claims: { htm: RESOURCE_METHOD, htu: RESOURCE_URL } })),
      ),
    ).rejects.toMatchObject({ check: 'ath' });
  });
});
