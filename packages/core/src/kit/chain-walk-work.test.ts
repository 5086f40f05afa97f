import {
  createMemoryKitFixture,
  expectKitError,
  kitErrorCode,
  type MemoryKitFixture,
  TEST_SECRET,
} from '@kit/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256, utf8 } from '../crypto/primitives.ts';
import { RefreshTokenCodec, type RefreshTokenParts } from '../tokens/refresh-token.ts';

/**
 * Proving an old refresh token genuine walks the session's chain forward, one HMAC per link. A
 * crowd of requests, each with a different old token of one long-rotated session, must not cost one
 * walk each: the first walk revokes the session, and the rest must see that instead of walking.
 * Counted here (calls of the codec's `successor`, one HMAC each), not timed;
 * bench/src/revoke-storm.ts measures the 30,000-rotation, 300-call case.
 */

const ROTATIONS = 2000;
const CALLS = 40;

describe('chain walks per session', () => {
  let f: MemoryKitFixture;
  let codec: RefreshTokenCodec;

  beforeAll(async () => {
    f = await createMemoryKitFixture();
    codec = await RefreshTokenCodec.create(utf8(TEST_SECRET));
  });
  afterAll(async () => {
    await f.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /**
   * A session left as `ROTATIONS` refreshes leave it (generation and hash of the last link), and
   * its `CALLS` oldest tokens, each `ROTATIONS - i` links from the current one.
   */
  async function longRotatedSession(userId: string) {
    const first = await f.kit.createSession({ userId });
    let link: RefreshTokenParts = await codec.decode(first.refreshToken);
    const oldTokens = [first.refreshToken];
    const now = new Date(f.clock.now());
    for (let generation = 1; generation <= ROTATIONS; generation++) {
      const next = await codec.successor(link);
      // The store's side of a refresh, without signing an access token each time.
      await f.store.rotate({
        id: first.session.id,
        generation: generation - 1,
        secretHash: await sha256(link.secret),
        nextSecretHash: await sha256(next.secret),
        now,
        idleExpiresAt: first.session.idleExpiresAt,
      });
      link = next;
      if (generation < CALLS) oldTokens.push(await codec.encode(link));
    }
    expect((await f.store.find(first.session.id))?.generation).toBe(ROTATIONS);
    return { id: first.session.id, oldTokens, current: await codec.encode(link) };
  }

  it('concurrent revokes with different old tokens of one session walk its chain once', async () => {
    const session = await longRotatedSession('revoke-crowd');
    const successor = vi.spyOn(RefreshTokenCodec.prototype, 'successor');
    const revoked = await Promise.all(session.oldTokens.map((token) => f.kit.revokeRefreshToken(token)));
    expect(revoked.filter(Boolean)).toHaveLength(1);
    expect((await f.kit.sessions.get(session.id))?.status).toBe('revoked');
    // One walk: the longest any single token needs. One walk per call would be about CALLS times it.
    expect(successor.mock.calls.length).toBeLessThanOrEqual(ROTATIONS);
    // Later calls find the session revoked and walk nothing.
    successor.mockClear();
    expect(await f.kit.revokeRefreshToken(session.oldTokens[5]!)).toBe(false);
    expect(successor).not.toHaveBeenCalled();
  });

  it('a revoke whose row was read before another walk revoked the session does not walk', async () => {
    const session = await longRotatedSession('stale-read');
    const real = f.store;
    // The first find of the session reads the row, then waits: its caller holds a row from before
    // the revocation below.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    const store = {
      ...real,
      async find(id: string) {
        const record = await real.find(id);
        if (id === session.id && ++reads === 1) await held;
        return record;
      },
    };
    const kit = await f.makeKit({ store });
    const successor = vi.spyOn(RefreshTokenCodec.prototype, 'successor');
    const late = kit.revokeRefreshToken(session.oldTokens[0]!);
    await vi.waitFor(() => expect(reads).toBe(1));
    expect(await kit.revokeRefreshToken(session.oldTokens[1]!)).toBe(true);
    const walked = successor.mock.calls.length;
    expect(walked).toBe(ROTATIONS - 1);
    release();
    expect(await late).toBe(false);
    expect(successor.mock.calls.length).toBe(walked);
  });

  it('concurrent refreshes with different ancient tokens walk the chain once and raise one alert', async () => {
    const session = await longRotatedSession('refresh-crowd');
    const alerts: string[] = [];
    const off = f.kit.on('reuse_detected', (event) => {
      alerts.push(event.session.id);
    });
    const successor = vi.spyOn(RefreshTokenCodec.prototype, 'successor');
    const codes = await Promise.all(session.oldTokens.map((token) => kitErrorCode(f.kit.refresh(token))));
    off();
    expect(codes.filter((code) => code === 'ERR_REFRESH_TOKEN_REUSED')).toHaveLength(1);
    expect(codes.every((c) => c === 'ERR_REFRESH_TOKEN_REUSED' || c === 'ERR_SESSION_REVOKED')).toBe(true);
    expect(alerts).toEqual([session.id]);
    // Each refresh derives its own successor once (CALLS links) before any decision; one walk on top.
    expect(successor.mock.calls.length).toBeLessThanOrEqual(ROTATIONS + CALLS);
    await expectKitError(f.kit.refresh(session.current), 'ERR_SESSION_REVOKED');
  });

  it('an ancient token of an expired session answers expired without walking the chain', async () => {
    const session = await longRotatedSession('expired-crowd');
    await f.kit.sessions.extend(session.id, { idle: 60 });
    f.clock.advance(61_000);
    const successor = vi.spyOn(RefreshTokenCodec.prototype, 'successor');
    const codes = await Promise.all(session.oldTokens.map((token) => kitErrorCode(f.kit.refresh(token))));
    expect(new Set(codes)).toEqual(new Set(['ERR_SESSION_EXPIRED']));
    // Only each refresh's own successor: no walk.
    expect(successor.mock.calls.length).toBe(CALLS);
    expect((await f.kit.sessions.get(session.id))?.status).toBe('expired');
  });

  it('a forged old token (valid tag, not of this chain) walks, revokes nothing, and the next caller walks again', async () => {
    const session = await longRotatedSession('forged-crowd');
    // Only the holder of the server secret can tag a token; this one carries a secret of no chain.
    const forged = await codec.encode(RefreshTokenCodec.parts(session.id, 3, new Uint8Array(32).fill(7)));
    const successor = vi.spyOn(RefreshTokenCodec.prototype, 'successor');
    const first = f.kit.revokeRefreshToken(forged);
    // The forged token's walk is under way when the genuine one arrives and waits behind it.
    await vi.waitFor(() => expect(successor).toHaveBeenCalled());
    const answers = await Promise.all([first, f.kit.revokeRefreshToken(session.oldTokens[1]!)]);
    expect(answers).toEqual([false, true]);
    expect((await f.kit.sessions.get(session.id))?.revokedReason).toBe('logout');
    // The forged walk proved nothing, so the genuine caller behind it walked its own chain.
    expect(successor.mock.calls.length).toBe(ROTATIONS - 3 + ROTATIONS - 1);
  });
});
