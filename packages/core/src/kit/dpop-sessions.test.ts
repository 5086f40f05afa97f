import {
  expectKitError,
  kitErrorCode,
  type MemoryKitFixture,
  recordKitEvents,
  useMemoryKitFixture,
} from '@kit/test-support';
import { type DpopKey, generateDpopKey, makeProof, publicJwk } from '@kit/test-support/dpop';
import { useKitFixture } from '@kit/test-support/kit-fixture';
import { describe, expect, it } from 'vitest';
import { createMemoryDpopReplayCache } from '../dpop/create-memory-dpop-replay-cache.ts';
import { jwkThumbprint } from '../dpop/jwk-thumbprint.ts';
import type { KitDpopProofInvalidError } from '../errors.ts';
import { createMemorySessionStore } from '../store/create-memory-session-store.ts';
import type { SessionRecord, SessionStore } from '../store/session-store.ts';
import type { SessionDpopProof } from './types.ts';

const TOKEN_URL = 'https://auth.test/token';
const LOGIN_URL = 'https://auth.test/login';
const SECOND = 1000;

type Fixture = Omit<MemoryKitFixture, 'close'>;

/**
 * Sessions bound to a DPoP key (RFC 9449), on the in-memory store and on PostgreSQL: binding at
 * creation, `cnf.jkt` and `tokenType`, and every refresh rule with and without the key.
 */
describe.each([
  [
    'the in-memory store',
    () => useMemoryKitFixture({ dpop: { replayCache: createMemoryDpopReplayCache() } }),
  ],
  ['PostgreSQL', () => useKitFixture({ dpop: { replayCache: createMemoryDpopReplayCache() } })],
] as const)('DPoP-bound sessions on %s', (_, use) => {
  const f: Fixture = use();
  const owner = generateDpopKey('ES256');
  const thief = generateDpopKey('ES256');

  /** A fresh proof by `key` for a request to `url`, made now by the fixture's clock. */
  const proofOf = (
    key: DpopKey,
    url = TOKEN_URL,
    claims: Record<string, unknown> = {},
  ): SessionDpopProof => ({
    proof: makeProof(key, { claims: { htu: url, iat: Math.floor(f.clock.now() / SECOND), ...claims } }),
    method: 'POST',
    url,
  });
  const login = (userId: string, key: DpopKey = owner) =>
    f.kit.createSession({ userId, dpop: proofOf(key, LOGIN_URL) });
  const generation = async (id: string) => (await f.kit.sessions.get(id))?.generation;
  const status = async (id: string) => (await f.kit.sessions.get(id))?.status;

  it('binds a session opened with a proof: DPoP token type, cnf.jkt in every access token', async () => {
    const jkt = await jwkThumbprint(publicJwk(owner) as never);
    const opened = await login('bound-alice');
    expect(opened.tokenType).toBe('DPoP');
    expect(opened.session.dpopJkt).toBe(jkt);
    expect((await f.kit.verifyAccessToken(opened.accessToken)).cnf).toEqual({ jkt });
    const next = await f.kit.refresh(opened.refreshToken, { dpop: proofOf(owner) });
    expect(next.tokenType).toBe('DPoP');
    expect((await f.kit.verifyAccessToken(next.accessToken)).cnf).toEqual({ jkt });
    expect(await f.kit.sessions.get(opened.session.id)).toMatchObject({ dpopJkt: jkt, generation: 1 });
  });

  it('opens nothing when the login proof fails', async () => {
    const error = await expectKitError(
      f.kit.createSession({ userId: 'bad-proof', dpop: proofOf(owner, LOGIN_URL, { htu: TOKEN_URL }) }),
      'ERR_DPOP_PROOF_INVALID',
    );
    expect((error as KitDpopProofInvalidError).check).toBe('htu');
    const missing = await expectKitError(
      f.kit.createSession({
        userId: 'bad-proof',
        dpop: { proof: undefined, method: 'POST', url: LOGIN_URL },
      }),
      'ERR_DPOP_PROOF_INVALID',
    );
    expect((missing as KitDpopProofInvalidError).check).toBe('missing');
    expect(await f.kit.sessions.count('bad-proof', { status: 'all' })).toBe(0);
  });

  it('keeps a session opened without a proof a Bearer session, whatever proofs come later', async () => {
    const opened = await f.kit.createSession({ userId: 'bearer-bob' });
    expect(opened.tokenType).toBe('Bearer');
    expect(opened.session.dpopJkt).toBeNull();
    const withProof = await f.kit.refresh(opened.refreshToken, { dpop: proofOf(owner) });
    expect(withProof.tokenType).toBe('Bearer');
    expect((await f.kit.verifyAccessToken(withProof.accessToken)).cnf).toBeUndefined();
    // A failed proof is ignored too, and a later refresh needs none.
    const withBadProof = await f.kit.refresh(withProof.refreshToken, {
      dpop: proofOf(owner, TOKEN_URL, { htu: LOGIN_URL }),
    });
    const plain = await f.kit.refresh(withBadProof.refreshToken);
    expect(plain.session).toMatchObject({ generation: 3, dpopJkt: null, status: 'active' });
  });

  it('refuses a refresh of a bound session without a proof, or with a failed one, and changes nothing', async () => {
    const opened = await login('bound-carol');
    const missing = await expectKitError(f.kit.refresh(opened.refreshToken), 'ERR_DPOP_PROOF_INVALID');
    expect((missing as KitDpopProofInvalidError).check).toBe('missing');
    const wrongUrl = await expectKitError(
      f.kit.refresh(opened.refreshToken, { dpop: proofOf(owner, TOKEN_URL, { htu: LOGIN_URL }) }),
      'ERR_DPOP_PROOF_INVALID',
    );
    expect((wrongUrl as KitDpopProofInvalidError).check).toBe('htu');
    const stale = await expectKitError(
      f.kit.refresh(opened.refreshToken, {
        dpop: proofOf(owner, TOKEN_URL, { iat: Math.floor(f.clock.now() / SECOND) - 600 }),
      }),
      'ERR_DPOP_PROOF_INVALID',
    );
    expect((stale as KitDpopProofInvalidError).check).toBe('iat');
    expect(await generation(opened.session.id)).toBe(0);
    // The owner still refreshes.
    expect((await f.kit.refresh(opened.refreshToken, { dpop: proofOf(owner) })).session.generation).toBe(1);
  });

  it('refuses a replayed proof', async () => {
    const opened = await login('bound-dave');
    const dpop = proofOf(owner);
    const next = await f.kit.refresh(opened.refreshToken, { dpop });
    const replay = await expectKitError(f.kit.refresh(next.refreshToken, { dpop }), 'ERR_DPOP_PROOF_INVALID');
    expect((replay as KitDpopProofInvalidError).check).toBe('replay');
    expect(await generation(opened.session.id)).toBe(1);
    expect((await f.kit.refresh(next.refreshToken, { dpop: proofOf(owner) })).session.generation).toBe(2);
  });

  it('answers a valid proof by another key with invalid_grant and dpop_key_mismatch, changing nothing', async () => {
    const seen = recordKitEvents(f.kit);
    const opened = await login('bound-erin');
    await expectKitError(
      f.kit.refresh(opened.refreshToken, { dpop: proofOf(thief) }),
      'ERR_REFRESH_TOKEN_INVALID',
    );
    expect(seen.dpop_key_mismatch).toEqual([{ sessionId: opened.session.id }]);
    expect(seen.session_revoked).toEqual([]);
    expect(await f.kit.sessions.get(opened.session.id)).toMatchObject({ generation: 0, status: 'active' });
    expect((await f.kit.refresh(opened.refreshToken, { dpop: proofOf(owner) })).session.generation).toBe(1);
  });

  it('never revokes for reuse without the key; with it, an old token is reuse', async () => {
    const seen = recordKitEvents(f.kit);
    const opened = await login('bound-frank');
    const second = await f.kit.refresh(opened.refreshToken, { dpop: proofOf(owner) });
    f.clock.advance(SECOND);
    const third = await f.kit.refresh(second.refreshToken, { dpop: proofOf(owner) });
    f.clock.advance(60 * SECOND); // past the grace window: the parent is reuse too
    for (const old of [opened.refreshToken, second.refreshToken]) {
      await expectKitError(f.kit.refresh(old), 'ERR_DPOP_PROOF_INVALID');
      await expectKitError(
        f.kit.refresh(old, { dpop: proofOf(owner, TOKEN_URL, { htu: LOGIN_URL }) }),
        'ERR_DPOP_PROOF_INVALID',
      );
      await expectKitError(f.kit.refresh(old, { dpop: proofOf(thief) }), 'ERR_REFRESH_TOKEN_INVALID');
    }
    expect(seen.reuse_detected).toEqual([]);
    expect(seen.dpop_key_mismatch).toHaveLength(2);
    expect(await f.kit.sessions.get(opened.session.id)).toMatchObject({ generation: 2, status: 'active' });
    // The owner's current token still works; the owner's key replaying an old one is reuse.
    const fourth = await f.kit.refresh(third.refreshToken, { dpop: proofOf(owner) });
    await expectKitError(
      f.kit.refresh(opened.refreshToken, { dpop: proofOf(owner) }),
      'ERR_REFRESH_TOKEN_REUSED',
    );
    expect(seen.reuse_detected).toHaveLength(1);
    expect(await status(opened.session.id)).toBe('revoked');
    await expectKitError(f.kit.refresh(fourth.refreshToken, { dpop: proofOf(owner) }), 'ERR_SESSION_REVOKED');
  });

  it('answers the parent within the grace window only with the key', async () => {
    const opened = await login('bound-grace');
    const next = await f.kit.refresh(opened.refreshToken, { dpop: proofOf(owner) });
    await expectKitError(f.kit.refresh(opened.refreshToken), 'ERR_DPOP_PROOF_INVALID');
    await expectKitError(
      f.kit.refresh(opened.refreshToken, { dpop: proofOf(thief) }),
      'ERR_REFRESH_TOKEN_INVALID',
    );
    const grace = await f.kit.refresh(opened.refreshToken, { dpop: proofOf(owner) });
    expect(grace.refreshToken).toBe(next.refreshToken);
    expect(grace.tokenType).toBe('DPoP');
    expect(await generation(opened.session.id)).toBe(1);
  });

  it('rotates once among concurrent refreshes, only for the key holder', async () => {
    const opened = await login('bound-race');
    const calls = Array.from({ length: 24 }, (_, i) => {
      const dpop = i % 3 === 0 ? proofOf(owner) : i % 3 === 1 ? proofOf(thief) : undefined;
      return f.kit.refresh(opened.refreshToken, dpop ? { dpop } : {}).then(
        (tokens) => ({ ok: true as const, tokens, i }),
        (error: unknown) => ({ ok: false as const, error, i }),
      );
    });
    const results = await Promise.all(calls);
    const won = results.filter((r) => r.ok);
    expect(won.map((r) => r.i % 3)).toEqual(Array(8).fill(0));
    expect(new Set(won.map((r) => (r.ok ? r.tokens.refreshToken : '')))).toHaveProperty('size', 1);
    const codes = await Promise.all(
      results.filter((r) => !r.ok).map((r) => kitErrorCode(Promise.reject(r.ok ? undefined : r.error))),
    );
    expect(new Set(codes)).toEqual(new Set(['ERR_REFRESH_TOKEN_INVALID', 'ERR_DPOP_PROOF_INVALID']));
    expect(await f.kit.sessions.get(opened.session.id)).toMatchObject({ generation: 1, status: 'active' });
  });

  it('never refreshes a bound session on a kit without the dpop option', async () => {
    const opened = await login('bound-unconfigured');
    const plain = await f.makeKit({ dpop: undefined });
    expect(plain.config.dpop).toBeNull();
    await expectKitError(plain.refresh(opened.refreshToken), 'ERR_INVALID_OPTIONS');
    await expectKitError(plain.refresh(opened.refreshToken, { dpop: proofOf(owner) }), 'ERR_INVALID_OPTIONS');
    await expectKitError(
      plain.createSession({ userId: 'x', dpop: proofOf(owner, LOGIN_URL) }),
      'ERR_INVALID_OPTIONS',
    );
    expect(await generation(opened.session.id)).toBe(0);
  });
});

describe('the dpop option', () => {
  const f = useMemoryKitFixture();

  it('is checked when the kit is made', async () => {
    for (const dpop of [
      'yes',
      null,
      {},
      { replayCache: {} },
      { replayCache: createMemoryDpopReplayCache(), maxAge: 7200 },
      { replayCache: createMemoryDpopReplayCache(), algorithms: ['HS256'] },
    ]) {
      await expectKitError(f.makeKit({ dpop: dpop as never }), 'ERR_INVALID_OPTIONS', {
        message: JSON.stringify(dpop),
      });
    }
  });

  it('is reported in config with its algorithms and replay cache', async () => {
    expect(f.kit.config.dpop).toBeNull();
    const replayCache = createMemoryDpopReplayCache();
    const kit = await f.makeKit({ dpop: { replayCache, algorithms: ['ES256', 'EdDSA'] } });
    expect(kit.config.dpop).toEqual({ algorithms: ['ES256', 'EdDSA'], replayCache });
    expect(kit.config.dpop?.replayCache).toBe(replayCache);
  });

  it('checks proofs with the kit clock', async () => {
    const store = createMemorySessionStore();
    const kit = await f.makeKit({ store, dpop: { replayCache: createMemoryDpopReplayCache() } });
    const key = generateDpopKey('EdDSA');
    const proof = (iat: number) => ({
      proof: makeProof(key, { claims: { htu: LOGIN_URL, iat } }),
      method: 'POST',
      url: LOGIN_URL,
    });
    const now = Math.floor(f.clock.now() / SECOND);
    expect((await kit.createSession({ userId: 'clocked', dpop: proof(now) })).tokenType).toBe('DPoP');
    // A proof made by the real clock is far from the fixture's (2030).
    await expectKitError(
      kit.createSession({ userId: 'clocked', dpop: proof(Math.floor(Date.now() / SECOND)) }),
      'ERR_DPOP_PROOF_INVALID',
    );
  });

  it('refuses an access token in a session proof, and a proof that is not an object', async () => {
    const kit = await f.makeKit({ dpop: { replayCache: createMemoryDpopReplayCache() } });
    const key = generateDpopKey('ES256');
    const dpop = { proof: makeProof(key), method: 'POST', url: LOGIN_URL, accessToken: 'x' };
    await expectKitError(kit.createSession({ userId: 'u', dpop }), 'ERR_INVALID_INPUT');
    await expectKitError(kit.createSession({ userId: 'u', dpop: 'proof' as never }), 'ERR_INVALID_INPUT');
  });
});

/**
 * A store written before `dpopJkt` existed: it drops the field on insert, returns records without
 * it, and rotates whatever `RotateInput.dpopJkt` says.
 */
function storeWithoutBinding(): SessionStore {
  const inner = createMemorySessionStore();
  const strip = (record: SessionRecord | null) => {
    if (record === null) return null;
    const { dpopJkt: _dropped, ...rest } = record;
    return rest as SessionRecord;
  };
  return {
    ...inner,
    insert: (record) => inner.insert({ ...record, dpopJkt: null }),
    find: async (id) => strip(await inner.find(id)),
    rotate: async (input) => strip(await inner.rotate({ ...input, dpopJkt: null })),
    touch: async (input) => strip(await inner.touch(input)),
  };
}

/** A store that keeps `dpopJkt` but leaves it out of `rotate`'s compare-and-set. */
function storeIgnoringBinding(): SessionStore {
  const inner = createMemorySessionStore();
  return {
    ...inner,
    rotate: async (input) =>
      inner.rotate({ ...input, dpopJkt: (await inner.find(input.id))?.dpopJkt ?? null }),
  };
}

describe('a session store that does not keep the DPoP binding', () => {
  const f = useMemoryKitFixture();
  const key = generateDpopKey('ES256');
  const proof = (url: string) => ({
    proof: makeProof(key, { claims: { htu: url, iat: Math.floor(f.clock.now() / SECOND) } }),
    method: 'POST',
    url,
  });

  it('still answers Bearer for the sessions of a kit without the dpop option', async () => {
    const kit = await f.makeKit({ store: storeWithoutBinding() });
    const opened = await kit.createSession({ userId: 'legacy-bearer' });
    const next = await kit.refresh(opened.refreshToken);
    expect(next.tokenType).toBe('Bearer');
    expect((await kit.verifyAccessToken(next.accessToken)).cnf).toBeUndefined();
  });

  it("never hands a bound session's tokens to a refresh without its key", async () => {
    for (const store of [storeWithoutBinding(), storeIgnoringBinding()]) {
      const kit = await f.makeKit({ store, dpop: { replayCache: createMemoryDpopReplayCache() } });
      const opened = await kit.createSession({ userId: 'legacy-bound', dpop: proof(LOGIN_URL) });
      expect(opened.tokenType).toBe('DPoP');
      await expectKitError(kit.refresh(opened.refreshToken), 'ERR_STORE_FAILURE');
    }
  });
});
