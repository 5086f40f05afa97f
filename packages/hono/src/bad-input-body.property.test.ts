import type { KitErrorCode } from '@kit/core';
import {
  type BodyCase,
  badRefreshTokenArb,
  type Expected,
  expectedRevokeAnswer,
  expectedTokenAnswer,
  REVOKE_ROUTE,
  requestArb,
  TOKEN_ROUTE,
} from '@kit/test-support/hostile-requests';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostileInput, expectOAuthErrorBody, type HostileInput, runs } from '../test/hostile-input.ts';
import { KIT_ERROR_HTTP } from './error-table.ts';

/**
 * Property tests: hostile request bodies to `POST /token` and `POST /revoke`, on a real PostgreSQL
 * database. Each request must get exactly the answer the contract and `KIT_ERROR_HTTP` give it (the
 * model is in `@kit/test-support/hostile-requests`), never a 5xx, and no answer may carry any token
 * material (the submitted one, or any genuine token). Malformed requests that carry a GENUINE
 * credential must not use it. After each property the whole database is byte-for-byte unchanged,
 * no kit event fired, nothing was logged; at the end the seed session still refreshes with its
 * current token. The Bearer side is in `bad-input-bearer.property.test.ts`.
 */

let h: HostileInput;
const counts = { token: 0, revoke: 0 };

const describeCase = (c: BodyCase) =>
  `${c.kind} [${c.contentType} ${c.contentLength ? 'content-length' : 'streamed'}] ${JSON.stringify(
    typeof c.body === 'string' ? c.body.slice(0, 300) : `${c.body.byteLength} bytes`,
  )}`;

/** The answer of a body route, against the model. */
async function expectBodyAnswer(res: Response, expected: Expected, label: string) {
  expect(res.headers.get('cache-control'), label).toBe('no-store');
  expect(res.status, label).toBeLessThan(500);
  const submitted: string[] = [];
  let text: string;
  if ('reaches' in expected) {
    submitted.push(expected.credential);
    const list = expected.reaches === 'refresh' ? h.calls.refresh : h.calls.revoke;
    const other = expected.reaches === 'refresh' ? h.calls.revoke : h.calls.refresh;
    expect(other, label).toEqual([]);
    expect(
      list.map((o) => o.token),
      label,
    ).toEqual([expected.credential]);
    if (expected.reaches === 'refresh') {
      // Whatever the bad token, it fails the server's tag before any database access.
      expect(list[0]!.code, label).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      const mapped = KIT_ERROR_HTTP[list[0]!.code as KitErrorCode];
      text = await expectOAuthErrorBody(res, mapped.status, mapped.error, label);
    } else {
      // RFC 7009 §2.2: an invalid token is answered 200, and nothing is revoked.
      expect(list[0], label).toMatchObject({ code: 'ok', result: false });
      expect(res.status, label).toBe(200);
      text = await res.text();
      expect(text, label).toBe('');
    }
  } else {
    expect(h.calls.refresh, label).toEqual([]);
    expect(h.calls.revoke, label).toEqual([]);
    text = await expectOAuthErrorBody(res, expected.status, expected.error, label);
  }
  expect(h.calls.sessions, label).toEqual([]);
  h.expectNoEcho(text, res.headers, submitted, label);
}

beforeAll(async () => {
  h = await createHostileInput();
});

afterAll(async () => {
  console.info(`bad-input: /token ${counts.token} cases, /revoke ${counts.revoke} cases`);
  await h?.close();
});

describe('hostile input: exact 4xx answers, no echo, no state change', () => {
  it('starts from working seed tokens, the key the model knows and the contract mapping of a forged token', async () => {
    await h.expectWorkingStart();
  });

  it('POST /token', async () => {
    const bad = badRefreshTokenArb(h.genuineRefresh, {
      foreign: [h.foreignRefresh],
      accessTokens: h.accessTokens,
    });
    await fc.assert(
      fc.asyncProperty(requestArb(TOKEN_ROUTE, h.genuineRefresh, bad), async (c) => {
        counts.token++;
        const label = `/token ${describeCase(c)}`;
        const expected = expectedTokenAnswer(c);
        if ('reaches' in expected)
          expect(h.genuineRefresh, `generator bug: ${label}`).not.toContain(expected.credential);
        h.resetCalls();
        await expectBodyAnswer(await h.send('/token', c), expected, label);
      }),
      { numRuns: runs(700) },
    );
    await h.expectNothingChanged();
  });

  it('POST /revoke', async () => {
    const bad = badRefreshTokenArb(h.genuineRefresh, {
      foreign: [h.foreignRefresh],
      accessTokens: h.accessTokens,
    });
    await fc.assert(
      fc.asyncProperty(requestArb(REVOKE_ROUTE, h.genuineRefresh, bad), async (c) => {
        counts.revoke++;
        const label = `/revoke ${describeCase(c)}`;
        const expected = expectedRevokeAnswer(c);
        if ('reaches' in expected)
          expect(h.genuineRefresh, `generator bug: ${label}`).not.toContain(expected.credential);
        h.resetCalls();
        await expectBodyAnswer(await h.send('/revoke', c), expected, label);
      }),
      { numRuns: runs(500) },
    );
    await h.expectNothingChanged();
  });

  it('leaves the seed session working: its current token still refreshes, once', async () => {
    await h.expectSeedStillRefreshes();
  });
});
