import { createDpopProofVerifier, createMemoryDpopReplayCache, jwkThumbprint } from '@kit/core';
import { describe, expect, it } from 'vitest';
import { createDpopClient } from './dpop-client.ts';

const URL = 'http://127.0.0.1/me';

describe('createDpopClient (the load generator’s proofs)', () => {
  it('signs proofs the kit accepts, bound to its thumbprint, with ath for the access token', async () => {
    const client = createDpopClient();
    const verifier = createDpopProofVerifier({ replayCache: createMemoryDpopReplayCache() });
    const prove = client.prover('GET', URL, 'the.access.token');
    const proof = prove();
    const result = await verifier.verify({ proof, method: 'GET', url: URL, accessToken: 'the.access.token' });
    expect(result.jkt).toBe(client.jkt);
    expect(result.alg).toBe('ES256');
    expect(Math.abs(result.iat - Date.now() / 1000)).toBeLessThan(2);
    // The header's JWK has the thumbprint the client reports.
    const header = JSON.parse(Buffer.from(proof.split('.')[0]!, 'base64url').toString()) as {
      jwk: Parameters<typeof jwkThumbprint>[0];
    };
    expect(await jwkThumbprint(header.jwk)).toBe(client.jkt);
  });

  it('makes a fresh proof per call: a new jti, never a replay', async () => {
    const client = createDpopClient();
    const verifier = createDpopProofVerifier({ replayCache: createMemoryDpopReplayCache() });
    const prove = client.prover('POST', 'http://127.0.0.1/token');
    const proofs = Array.from({ length: 5 }, prove);
    const jtis = new Set<string>();
    for (const proof of proofs) {
      jtis.add((await verifier.verify({ proof, method: 'POST', url: 'http://127.0.0.1/token' })).jti);
    }
    expect(jtis.size).toBe(5);
    await expect(
      verifier.verify({ proof: proofs[0], method: 'POST', url: 'http://127.0.0.1/token' }),
    ).rejects.toMatchObject({ code: 'ERR_DPOP_PROOF_INVALID', check: 'replay' });
  });

  it('is refused for another access token (ath) and by another method', async () => {
    const client = createDpopClient();
    const verifier = createDpopProofVerifier({ replayCache: createMemoryDpopReplayCache() });
    const proof = client.prover('GET', URL, 'the.access.token')();
    await expect(
      verifier.verify({ proof, method: 'GET', url: URL, accessToken: 'another.access.token' }),
    ).rejects.toMatchObject({ code: 'ERR_DPOP_PROOF_INVALID', check: 'ath' });
    await expect(verifier.verify({ proof, method: 'POST', url: URL })).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_INVALID',
      check: 'htm',
    });
  });
});
