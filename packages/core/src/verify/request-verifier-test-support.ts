import { createFakeClock, type FakeClock } from '@kit/test-support';
import { accessTokenHash, DPOP_T0, type DpopKey, dpopThumbprint, makeProof } from '@kit/test-support/dpop';
import { createTestKey, localVerifierOptions, mint, type TestKey } from '@kit/test-support/verifier';
import type { DpopCrypto } from '../dpop/dpop-crypto.ts';
import { createRequestVerifierWith } from './create-request-verifier.ts';
import { createVerifier } from './create-verifier.ts';
import type { RequestDpopOptions, RequestVerifier, VerifiableRequest } from './request-verifier-types.ts';
import type { AccessTokenClaims } from './types.ts';

// The request verifier's tests' shared parts.

/** The protected resource the test requests go to. */
export const RESOURCE_URL = 'https://api.example.com/orders/42';
export const RESOURCE_METHOD = 'GET';

/** RFC 7638 thumbprint of a client key, computed apart from the code under test. */
export async function thumbprintOf(key: DpopKey): Promise<string> {
  return dpopThumbprint(key);
}

/** The issuer's key, and a clock standing at `DPOP_T0` shared by the token and proof checks. */
export interface RequestSetup {
  issuerKey: TestKey;
  clock: FakeClock;
  /** Token verifications, in order: the tokens passed to `verify`. */
  verified: string[];
  /** A request verifier over a local JWKS holding `issuerKey`. */
  requests(dpop?: RequestDpopOptions | false, crypto?: DpopCrypto): RequestVerifier;
  /** An access token minted now, bound to `key` when one is given, with `claims` over the defaults. */
  token(key?: DpopKey, claims?: Record<string, unknown>): Promise<string>;
}

/** Makes the {@link RequestSetup} of one test file. */
export async function createRequestSetup(defaultCrypto: DpopCrypto): Promise<RequestSetup> {
  const issuerKey = await createTestKey('ES256', 'issuer-1');
  const clock = createFakeClock(DPOP_T0);
  const verified: string[] = [];
  return {
    issuerKey,
    clock,
    verified,
    requests(dpop, crypto = defaultCrypto) {
      const verify = createVerifier(localVerifierOptions([issuerKey], { clock: clock.now }));
      return createRequestVerifierWith<AccessTokenClaims>(
        {
          verify: (token) => {
            verified.push(token);
            return verify(token);
          },
          dpop: dpop === false ? false : { clock: clock.now, ...dpop },
        },
        crypto,
      );
    },
    async token(key, claims = {}) {
      const cnf = key === undefined ? {} : { cnf: { jkt: await thumbprintOf(key) } };
      return mint(issuerKey, { nowMs: clock.now(), claims: { ...cnf, ...claims } });
    },
  };
}

/** A proof by `key` for `token` and the test resource, made now, with `claims` over the defaults. */
export function proofFor(key: DpopKey, token: string, claims: Record<string, unknown> = {}): string {
  return makeProof(key, {
    claims: {
      htm: RESOURCE_METHOD,
      htu: RESOURCE_URL,
      ath: accessTokenHash(token),
      ...claims,
    },
  });
}

/** A request to the test resource: `Authorization: DPoP <token>` with `proof`, unless told otherwise. */
export function dpopRequest(
  token: string,
  proof: string | null,
  extra: Partial<VerifiableRequest> = {},
): VerifiableRequest {
  return {
    authorization: `DPoP ${token}`,
    dpop: proof,
    method: RESOURCE_METHOD,
    url: RESOURCE_URL,
    ...extra,
  };
}
