import type { KitErrorCode } from '@kit/core';
import {
  type BadToken,
  badAccessTokenArb,
  expectedVerdict,
  type Verdict,
  type VerifierModel,
} from '@kit/test-support/hostile-tokens';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostileInput, expectOAuthErrorBody, type HostileInput, runs } from '../test/hostile-input.ts';
import { KIT_ERROR_HTTP } from './error-table.ts';

/**
 * Property tests: hostile `Authorization` headers to the Bearer middleware and the session routes,
 * on a real PostgreSQL database. Each request must get exactly the answer RFC 6750, the contract
 * and `KIT_ERROR_HTTP` give it (the verifier model is in `@kit/test-support/hostile-tokens`), never
 * a 5xx, and no answer may carry any token material. A bad token never reaches the session store.
 * After each property the whole database is byte-for-byte unchanged, no kit event fired, nothing
 * was logged; at the end the seed session still refreshes with its current token. The body routes
 * are in `bad-input-body.property.test.ts`.
 */

let h: HostileInput;
const counts = { bearer: 0, sessionRoutes: 0 };

/** UTF-8 bytes as a server reads them from the wire into a header value (one char per byte). */
const wire = (value: string) => Buffer.from(value, 'utf8').toString('latin1');

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token. */
const CREDENTIALS = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
/** RFC 9449 §7.1: `DPoP` (any case), one or more spaces, a token68. */
const DPOP_CREDENTIALS = /^dpop +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The challenge of the Bearer middleware and of the session routes (both take DPoP too: the kit has
 * the `dpop` option) to a request without credentials.
 */
const BOTH_SCHEMES = 'Bearer, DPoP algs="ES256 EdDSA ES384 RS256 PS256"';

type BearerExpected =
  | { kind: 'missing' }
  | { kind: 'malformed' }
  | { kind: 'valid' }
  | { kind: 'dpop without proof' }
  | { kind: 'token'; token: string; verdict: Verdict; status: number; error: string };

/**
 * The answer to `header`, on the Bearer middleware or the session routes: with `dpop` they take the
 * DPoP scheme too (no case here sends a proof), without it `Bearer` only.
 */
function expectedBearerAnswer(header: string | null, model: VerifierModel, dpop: boolean): BearerExpected {
  // What the server sees: HTTP strips leading and trailing whitespace from a field value.
  const value = header === null ? null : new Headers({ authorization: header }).get('authorization');
  if (value === null || value === '') return { kind: 'missing' };
  // A DPoP request without a proof is refused before its token is looked at.
  if (dpop && DPOP_CREDENTIALS.test(value)) return { kind: 'dpop without proof' };
  const match = CREDENTIALS.exec(value);
  if (!match) return { kind: 'malformed' };
  const token = match[1]!;
  const verdict = expectedVerdict(token, model);
  // `Bearer  <token>` is as good as `Bearer <token>` (1*SP): some mutations only move whitespace.
  if (verdict.code === 'ok') return { kind: 'valid' };
  const mapped = KIT_ERROR_HTTP[verdict.code as KitErrorCode];
  return { kind: 'token', token, verdict, status: mapped.status, error: mapped.error };
}

interface BearerCase {
  kind: string;
  /** The `Authorization` field value, or `null` for none. */
  header: string | null;
  token: string;
  expected: BearerExpected;
}

function bearerCaseArb(dpop: boolean): fc.Arbitrary<BearerCase> {
  const schemes = [
    'bearer ',
    'BEARER ',
    'Bearer   ',
    'Bearer\t',
    'Bearer',
    'Bearer: ',
    'Bearer=',
    'Basic ',
    'Token ',
    'JWT ',
    'DPoP ',
    ' Bearer ',
    'Bearer \u00a0',
    'Bearer\u00a0',
    'Bearer \u200f',
  ];
  const suffixes = [' ', '\t', ',', ', Bearer x', ' extra', '; x', '\u00a0', '\u200e'];
  const withToken = fc
    .tuple(
      fc.oneof(
        { weight: 8, arbitrary: fc.constant('Bearer ') },
        { weight: 2, arbitrary: fc.constantFrom(...schemes) },
      ),
      badAccessTokenArb(h.sources, h.accessTokens),
      fc.oneof(
        { weight: 8, arbitrary: fc.constant('') },
        { weight: 2, arbitrary: fc.constantFrom(...suffixes) },
      ),
    )
    .map(([scheme, bad, suffix]: [string, BadToken, string]) => ({
      kind: bad.kind,
      token: bad.token,
      header: wire(`${scheme}${bad.token}${suffix}`),
    }))
    // NUL, CR and LF cannot travel in a header field: an HTTP server refuses them before any app.
    .filter((c) => !/[\0\r\n]/.test(c.header))
    .map((c) => ({ ...c, expected: expectedBearerAnswer(c.header, h.sources.model, dpop) }))
    // A valid credential is not hostile input (and would log the seed out on /logout).
    .filter((c) => c.expected.kind !== 'valid');
  const without = fc.constantFrom<string | null>(null, '', ' ', '\t').map((header) => ({
    kind: 'no credentials',
    token: '',
    header,
    expected: expectedBearerAnswer(header, h.sources.model, dpop),
  }));
  return fc.oneof({ weight: 30, arbitrary: withToken }, { weight: 1, arbitrary: without });
}

async function expectBearerAnswer(res: Response, c: BearerCase, label: string, dpop: boolean) {
  const expected = c.expected;
  expect(res.status, label).toBeLessThan(500);
  expect(h.calls.sessions, `${label}: a bad token reached the session store`).toEqual([]);
  expect(h.calls.refresh, label).toEqual([]);
  expect(h.calls.revoke, label).toEqual([]);
  expect(expected.kind, `${label}: a valid credential`).not.toBe('valid');
  let text: string;
  if (expected.kind === 'missing') {
    expect(res.status, label).toBe(401);
    expect(res.headers.get('www-authenticate'), label).toBe(dpop ? BOTH_SCHEMES : 'Bearer');
    text = await res.text();
    expect(text, label).toBe('');
    expect(h.calls.verify, label).toEqual([]);
  } else if (expected.kind === 'dpop without proof') {
    expect(res.headers.get('www-authenticate'), label).toBe(
      'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA ES384 RS256 PS256"',
    );
    text = await expectOAuthErrorBody(res, 401, 'invalid_dpop_proof', label);
    expect(h.calls.verify, label).toEqual([]);
  } else if (expected.kind === 'malformed') {
    expect(res.headers.get('www-authenticate'), label).toBe('Bearer error="invalid_request"');
    text = await expectOAuthErrorBody(res, 400, 'invalid_request', label);
    expect(h.calls.verify, label).toEqual([]);
  } else if (expected.kind === 'token') {
    expect(
      h.calls.verify.map((o) => o.token),
      label,
    ).toEqual([expected.token]);
    const { code, claim } = h.calls.verify[0]!;
    expect(claim === undefined ? { code } : { code, claim }, label).toEqual(expected.verdict);
    expect(res.headers.get('www-authenticate'), label).toBe(
      expected.error === 'invalid_token' ? 'Bearer error="invalid_token"' : null,
    );
    text = await expectOAuthErrorBody(res, expected.status, expected.error, label);
  } else {
    return;
  }
  h.expectNoEcho(text, res.headers, [c.token, wire(c.token)], label);
}

beforeAll(async () => {
  h = await createHostileInput();
});

afterAll(async () => {
  console.info(
    `bad-input: Bearer middleware ${counts.bearer} cases, session routes ${counts.sessionRoutes} cases`,
  );
  await h?.close();
});

describe('hostile input: exact 4xx answers, no echo, no state change', () => {
  it('starts from working seed tokens, the key the model knows and the contract mapping of a forged token', async () => {
    await h.expectWorkingStart();
  });

  it('the Bearer middleware', async () => {
    await fc.assert(
      fc.asyncProperty(bearerCaseArb(true), async (c) => {
        counts.bearer++;
        const label = `GET /me ${c.kind}: ${JSON.stringify(c.header?.slice(0, 300))}`;
        h.resetCalls();
        const headers: Record<string, string> = c.header === null ? {} : { authorization: c.header };
        await expectBearerAnswer(await h.app.request('/me', { headers }), c, label, true);
      }),
      { numRuns: runs(1000) },
    );
    await h.expectNothingChanged();
  });

  it('the session routes (list, delete, logout of every scope)', async () => {
    const routes: [string, string][] = [
      ['GET', '/sessions'],
      ['POST', '/logout?scope=global'],
      ['POST', '/logout?scope=others'],
      ['POST', '/logout'],
      ['DELETE', `/sessions/${h.seed.id}`],
      ['DELETE', `/sessions/${h.otherSessionId}`],
    ];
    await fc.assert(
      fc.asyncProperty(bearerCaseArb(true), fc.constantFrom(...routes), async (c, [method, path]) => {
        counts.sessionRoutes++;
        const label = `${method} ${path} ${c.kind}: ${JSON.stringify(c.header?.slice(0, 300))}`;
        h.resetCalls();
        const headers: Record<string, string> = c.header === null ? {} : { authorization: c.header };
        await expectBearerAnswer(await h.app.request(path, { method, headers }), c, label, true);
      }),
      { numRuns: runs(400) },
    );
    await h.expectNothingChanged();
  });

  it('leaves the seed session working: its current token still refreshes, once', async () => {
    await h.expectSeedStillRefreshes();
  });
});
