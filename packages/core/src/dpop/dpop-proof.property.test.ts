import {
  accessTokenHash,
  DPOP_T0,
  DPOP_URL,
  type DpopKey,
  generateDpopKey,
  makeProof,
  publicJwk,
} from '@kit/test-support/dpop';
import { garbageTokenArb, mutatedTokenArb, secretPieces } from '@kit/test-support/hostile-tokens';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRYPTO_PATHS, createTestVerifier, requestWith } from './dpop-test-support.ts';
import type { DpopProofRequest, DpopProofVerifier } from './types.ts';

/**
 * Property tests: hostile DPoP proofs against the verifier, on both cryptography paths. Any change
 * to the characters of a valid proof (header, payload or signature) must be refused; a proof
 * re-signed by its own key with one checked member changed must be refused by that member's
 * check; garbage must be refused; no error may carry any piece of the proof.
 * `BAD_INPUT_SCALE` multiplies the run counts (for longer local runs).
 */

const SCALE = Number(process.env.BAD_INPUT_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

const ALGS = ['ES256', 'EdDSA', 'ES384', 'RS256', 'PS256'] as const;
const T0s = DPOP_T0 / 1000;
const TOKEN = 'access-token-of-the-tests';
const NONCE = 'server-nonce-1';

let keys: DpopKey[];
let valid: string[];
const counts = { mutations: 0, resigned: 0, garbage: 0 };

beforeAll(() => {
  keys = ALGS.map((alg) => generateDpopKey(alg));
  // Valid for a resource request with a server nonce: every optional check is on.
  valid = keys.map((key) => makeProof(key, { claims: { ath: accessTokenHash(TOKEN), nonce: NONCE } }));
});

afterAll(() => {
  console.info(
    `dpop-proof: ${counts.mutations} mutations, ${counts.resigned} re-signed changes, ${counts.garbage} garbage, over both paths`,
  );
});

const request = (proof: string): DpopProofRequest => requestWith(proof, { accessToken: TOKEN, nonce: NONCE });

/** No piece of the proof in the error's message or own properties, down the cause chain. */
function expectNoEcho(error: unknown, proof: string, label: string) {
  const pieces = secretPieces(proof).filter((piece) => piece.trim() !== '');
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const texts = [e.message, JSON.stringify({ ...e })];
    for (const piece of pieces) {
      for (const text of texts) expect(text.includes(piece), `${label}: proof echoed in ${text}`).toBe(false);
    }
  }
}

async function expectRefused(
  verifier: DpopProofVerifier,
  proof: string,
  label: string,
  checks?: readonly string[],
) {
  let error: unknown;
  try {
    await verifier.verify(request(proof));
  } catch (caught) {
    error = caught;
  }
  expect(error, `${label}: accepted`).toBeDefined();
  const { code, check } = error as { code?: string; check?: string };
  if (checks === undefined) {
    expect(['ERR_DPOP_PROOF_INVALID', 'ERR_DPOP_NONCE_REQUIRED'], label).toContain(code);
  } else {
    expect({ code, check }, label).toEqual({
      code: 'ERR_DPOP_PROOF_INVALID',
      check: expect.toBeOneOf([...checks]),
    });
  }
  expectNoEcho(error, proof, label);
}

/** One checked member of a valid proof, changed to a value the checks must refuse, and re-signed. */
function resignedArb(): fc.Arbitrary<{ kind: string; proof: string; checks: readonly string[] }> {
  const notString = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 2 }),
  );
  const change = (
    kind: string,
    checks: readonly string[],
    value: fc.Arbitrary<unknown>,
    where: 'header' | 'claims' | 'jwk',
  ) => fc.record({ kind: fc.constant(kind), checks: fc.constant(checks), value, where: fc.constant(where) });
  const otherUrl = fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.constantFrom(
      'https://auth.example.com/token/',
      'http://auth.example.com/token',
      'https://auth.example.com:444/token',
    ),
  );
  const changes = fc.oneof(
    change(
      'typ',
      ['typ'],
      fc.oneof(notString, fc.string()).filter((v) => v !== 'dpop+jwt'),
      'header',
    ),
    change(
      'alg',
      ['alg', 'jwk', 'signature'],
      fc.oneof(notString, fc.string(), fc.constantFrom('none', 'HS256', ...ALGS)),
      'header',
    ),
    change('jwk member', ['jwk', 'signature'], fc.oneof(notString, fc.string({ maxLength: 90 })), 'jwk'),
    change(
      'private jwk member',
      ['jwk'],
      fc.constantFrom('d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'),
      'jwk',
    ),
    change(
      'jti',
      ['jti'],
      fc.oneof(notString, fc.constant(''), fc.string({ minLength: 257, maxLength: 300 })),
      'claims',
    ),
    change(
      'htm',
      ['htm'],
      fc.oneof(notString, fc.string()).filter((v) => v !== 'POST'),
      'claims',
    ),
    change(
      'htu',
      ['htu'],
      fc
        .oneof(notString, fc.string(), otherUrl)
        .filter((v) => typeof v !== 'string' || !v.startsWith(DPOP_URL)),
      'claims',
    ),
    change(
      'iat',
      ['iat'],
      fc.oneof(
        notString,
        fc.double({ max: T0s - 65.001, noNaN: true }),
        fc.double({ min: T0s + 5.001, noNaN: true }),
      ),
      'claims',
    ),
    change(
      'ath',
      ['ath'],
      fc.oneof(notString, fc.string()).filter((v) => v !== accessTokenHash(TOKEN)),
      'claims',
    ),
  );
  return fc
    .tuple(fc.nat({ max: ALGS.length - 1 }), changes, fc.nat())
    .filter(([i, c]) => !(c.kind === 'alg' && c.value === keys[i]!.alg))
    .map(([i, c, pick]) => {
      const key = keys[i]!;
      const claims = { ath: accessTokenHash(TOKEN), nonce: NONCE };
      if (c.where === 'claims') {
        return {
          kind: c.kind,
          checks: c.checks,
          proof: makeProof(key, { claims: { ...claims, [c.kind]: c.value } }),
        };
      }
      if (c.where === 'header') {
        return {
          kind: c.kind,
          checks: c.checks,
          proof: makeProof(key, { claims, header: { [c.kind]: c.value } }),
        };
      }
      const jwk = publicJwk(key);
      if (c.kind === 'private jwk member') {
        jwk[c.value as string] = 'AQAB';
        return {
          kind: `${c.kind} ${c.value}`,
          checks: c.checks,
          proof: makeProof(key, { claims, header: { jwk } }),
        };
      }
      // A member the thumbprint covers (the key itself), changed to anything else.
      const members = Object.keys(jwk).sort();
      const member = members[pick % members.length]!;
      const value = c.value === jwk[member] ? `${String(c.value)}x` : c.value;
      jwk[member] = value;
      return {
        kind: `${c.kind} ${member}`,
        checks: c.checks,
        proof: makeProof(key, { claims, header: { jwk } }),
      };
    });
}

describe.each(CRYPTO_PATHS)('DPoP proof properties (%s)', (_, crypto) => {
  let verifier: DpopProofVerifier;
  beforeAll(() => {
    ({ verifier } = createTestVerifier(crypto));
  });

  it('mutations of valid proofs (truncations, bit flips, re-encodings, odd characters, segment games)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedTokenArb(valid, keys[0]!), async (bad) => {
        counts.mutations++;
        await expectRefused(verifier, bad.token, bad.kind);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('a checked member changed and the proof re-signed by its own key: refused by that check', async () => {
    await fc.assert(
      fc.asyncProperty(resignedArb(), async ({ kind, proof, checks }) => {
        counts.resigned++;
        // A jwk member changed into another valid key's is caught by the signature.
        await expectRefused(verifier, proof, kind, checks);
      }),
      { numRuns: runs(400) },
    );
  });

  it('garbage and proof-shaped junk', async () => {
    await fc.assert(
      fc.asyncProperty(garbageTokenArb(), async (bad) => {
        counts.garbage++;
        await expectRefused(verifier, bad.token, bad.kind, ['missing', 'malformed', 'typ', 'alg', 'jwk']);
      }),
      { numRuns: runs(600) },
    );
  });

  it('and the unmutated proofs are accepted, each once', async () => {
    for (const proof of valid) await expect(verifier.verify(request(proof))).resolves.toBeDefined();
    for (const proof of valid) await expectRefused(verifier, proof, 'replayed', ['replay']);
  });
});
