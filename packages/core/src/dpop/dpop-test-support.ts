import { createFakeClock, type FakeClock } from '@kit/test-support';
import { DPOP_METHOD, DPOP_T0, DPOP_URL } from '@kit/test-support/dpop';
import { createDpopProofVerifierWith } from './create-dpop-proof-verifier-with.ts';
import { createMemoryDpopReplayCache } from './create-memory-dpop-replay-cache.ts';
import { type DpopCrypto, webDpopCrypto } from './dpop-crypto.ts';
import { dpopCrypto } from './node-dpop-crypto.ts';
import type { DpopProofRequest, DpopProofVerifier, DpopProofVerifierOptions } from './types.ts';

// The DPoP proof tests' shared parts.

/** Both cryptography paths: every proof test runs on each, and they must agree. */
export const CRYPTO_PATHS: readonly (readonly [string, DpopCrypto])[] = [
  ['node:crypto', dpopCrypto],
  ['Web Crypto', webDpopCrypto],
];

/** A verifier on a fake clock standing at `DPOP_T0`, with a memory replay cache of its own. */
export function createTestVerifier(
  crypto: DpopCrypto,
  options: Partial<DpopProofVerifierOptions> = {},
): { verifier: DpopProofVerifier; clock: FakeClock } {
  const clock = createFakeClock(DPOP_T0);
  const verifier = createDpopProofVerifierWith(
    { replayCache: createMemoryDpopReplayCache(), clock: clock.now, ...options },
    crypto,
  );
  return { verifier, clock };
}

/** The request the test proofs are made for, carrying `proof`. */
export function requestWith(
  proof: DpopProofRequest['proof'],
  extra: Partial<DpopProofRequest> = {},
): DpopProofRequest {
  return { proof, method: DPOP_METHOD, url: DPOP_URL, ...extra };
}
