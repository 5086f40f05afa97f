import { DPOP_T0, type DpopKey, generateDpopKey } from '@kit/test-support/dpop';
import { mutatedTokenArb, secretPieces } from '@kit/test-support/hostile-tokens';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRYPTO_PATHS } from '../dpop/dpop-test-support.ts';
import { normalizeHttpUrl } from '../dpop/htu.ts';
import {
  createRequestSetup,
  dpopRequest,
  proofFor,
  RESOURCE_METHOD,
  RESOURCE_URL,
  type RequestSetup,
} from './request-verifier-test-support.ts';
import type { RequestVerifier, VerifiableRequest } from './request-verifier-types.ts';

/**
 * Property tests: valid DPoP requests (a bound token, a proof by its key) changed in one way, each
 * of which must be refused with the error of the check that catches it: the token's characters,
 * the proof's characters, the method, the URL, the scheme, the proof's key, the token the proof
 * was made for, a token without binding, a replay. No error may carry a piece of the token or the
 * proof. `BAD_INPUT_SCALE` multiplies the run counts.
 */

const SCALE = Number(process.env.BAD_INPUT_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

type Expected = { code: string; check?: string; claim?: string };
const TOKEN_FAILURES: Expected[] = [
  { code: 'ERR_JWT_MALFORMED' },
  { code: 'ERR_JWT_INVALID' },
  { code: 'ERR_JWT_ALG_NOT_ALLOWED' },
  { code: 'ERR_JWT_CLAIM_INVALID' },
  { code: 'ERR_JWKS_NO_MATCHING_KEY' },
  // A mutated token outside the token68 alphabet fails as a malformed Authorization header.
  { code: 'ERR_INVALID_INPUT' },
];

/** One valid request, changed one way, and what must refuse it. */
interface Case {
  kind: string;
  /** Builds the request: proofs are made per case, so no two cases share a `jti`. */
  make(): VerifiableRequest;
  expected: readonly Expected[];
  /** The request is sent twice: accepted, then refused (a replay). */
  twice?: boolean;
}

const keys: DpopKey[] = [generateDpopKey('ES256'), generateDpopKey('EdDSA')];
let s: RequestSetup;
let bound: string[];
let unbound: string;
const counts: Record<string, number> = {};

beforeAll(async () => {
  s = await createRequestSetup(CRYPTO_PATHS[0]![1]);
  bound = await Promise.all(keys.map((key) => s.token(key)));
  unbound = await s.token();
});

afterAll(() => {
  console.info(
    `request-verifier: ${Object.entries(counts)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ')}`,
  );
});

function caseArb(): fc.Arbitrary<Case> {
  const which = fc.nat({ max: keys.length - 1 });
  const proofCheck = (check: string): Expected[] => [{ code: 'ERR_DPOP_PROOF_INVALID', check }];
  const cnf: Expected[] = [{ code: 'ERR_JWT_CLAIM_INVALID', claim: 'cnf' }];
  const otherUrl = fc
    .oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.constantFrom(
        'https://api.example.com/orders/42/',
        'http://api.example.com/orders/42',
        'https://api.example.com:8443/orders/42',
        'https://api.example.com/orders/4',
        'https://api.example.org/orders/42',
      ),
    )
    .filter((url) => normalizeHttpUrl(url) !== normalizeHttpUrl(RESOURCE_URL));
  return fc.oneof(
    fc
      .tuple(which, mutatedTokenArb(bound, keys[0]!))
      // `DPoP  <token>` is `DPoP <token>` (1*SP): a space before the token changes nothing.
      .filter(([, bad]) => !bound.includes(bad.token.trimStart()))
      .map(
        ([i, bad]): Case => ({
          kind: `token ${bad.kind}`,
          // The proof is for the original token: a mutated token that still verified would fail `ath`.
          make: () => dpopRequest(bad.token, proofFor(keys[i]!, bound[i]!)),
          expected: [...TOKEN_FAILURES, ...proofCheck('ath')],
        }),
      ),
    mutatedTokenArb([proofFor(keys[0]!, bound[0]!)], keys[0]!).map(
      (bad): Case => ({
        kind: `proof ${bad.kind}`,
        make: () => dpopRequest(bound[0]!, bad.token),
        expected: [{ code: 'ERR_DPOP_PROOF_INVALID' }],
      }),
    ),
    fc.tuple(which, fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'get', 'GET ')).map(
      ([i, method]): Case => ({
        kind: `method ${method}`,
        make: () => dpopRequest(bound[i]!, proofFor(keys[i]!, bound[i]!), { method }),
        expected: proofCheck('htm'),
      }),
    ),
    fc.tuple(which, otherUrl).map(
      ([i, url]): Case => ({
        kind: 'another URL',
        make: () => dpopRequest(bound[i]!, proofFor(keys[i]!, bound[i]!), { url }),
        expected: proofCheck('htu'),
      }),
    ),
    fc.tuple(which, fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ')).map(
      ([i, scheme]): Case => ({
        kind: `bound token as ${scheme.trim()}`,
        make: () =>
          dpopRequest(bound[i]!, proofFor(keys[i]!, bound[i]!), { authorization: `${scheme}${bound[i]}` }),
        expected: cnf,
      }),
    ),
    which.map(
      (i): Case => ({
        kind: "proof by another key than the token's",
        make: () => dpopRequest(bound[i]!, proofFor(keys[1 - i]!, bound[i]!)),
        expected: cnf,
      }),
    ),
    which.map(
      (i): Case => ({
        kind: 'proof made for another token',
        make: () => dpopRequest(bound[i]!, proofFor(keys[i]!, bound[1 - i]!)),
        expected: proofCheck('ath'),
      }),
    ),
    which.map(
      (i): Case => ({
        kind: 'unbound token with a proof',
        make: () => dpopRequest(unbound, proofFor(keys[i]!, unbound)),
        expected: cnf,
      }),
    ),
    which.map(
      (i): Case => ({
        kind: 'replayed',
        twice: true,
        make: () => dpopRequest(bound[i]!, proofFor(keys[i]!, bound[i]!)),
        expected: proofCheck('replay'),
      }),
    ),
  );
}

async function expectRefused(requests: RequestVerifier, c: Case) {
  const request = c.make();
  if (c.twice) await expect(requests.verify(request), `${c.kind}: the first one`).resolves.toBeDefined();
  let error: unknown;
  try {
    await requests.verify(request);
  } catch (caught) {
    error = caught;
  }
  const label = c.kind;
  expect(error, `${label}: accepted`).toBeDefined();
  const { code, check, claim } = error as Expected;
  const matches = c.expected.some(
    (e) =>
      e.code === code &&
      (e.check === undefined || e.check === check) &&
      (e.claim === undefined || e.claim === claim),
  );
  expect(matches, `${label}: refused with ${JSON.stringify({ code, check, claim })}`).toBe(true);
  const token = /^\S+\s+(.*)$/s.exec(String(request.authorization))?.[1] ?? '';
  const pieces = [...secretPieces(token), ...secretPieces(String(request.dpop ?? ''))];
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    for (const piece of pieces) {
      expect(e.message.includes(piece), `${label}: echoed in ${e.message}`).toBe(false);
    }
  }
}

describe.each(CRYPTO_PATHS)('request verifier properties (%s)', (_, crypto) => {
  it('a valid DPoP request changed in one way is refused by the check that covers it', async () => {
    s.clock.set(DPOP_T0);
    const requests = s.requests({}, crypto);
    await fc.assert(
      fc.asyncProperty(caseArb(), async (c) => {
        const kind = c.kind.split(':')[0]!.split(' ').slice(0, 2).join(' ');
        counts[kind] = (counts[kind] ?? 0) + 1;
        await expectRefused(requests, c);
      }),
      { numRuns: runs(600) },
    );
  });

  it('and the unchanged requests are accepted, each proof once', async () => {
    s.clock.set(DPOP_T0);
    const requests = s.requests({}, crypto);
    for (const [i, key] of keys.entries()) {
      const request = dpopRequest(bound[i]!, proofFor(key, bound[i]!), { method: RESOURCE_METHOD });
      await expect(requests.verify(request)).resolves.toMatchObject({ scheme: 'DPoP' });
      const replay = { code: 'ERR_DPOP_PROOF_INVALID', check: 'replay' };
      await expectRefused(requests, { kind: 'replayed', make: () => request, expected: [replay] });
    }
  });
});
