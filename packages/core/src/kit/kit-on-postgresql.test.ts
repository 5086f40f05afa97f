import { expectKitError, kitErrorCode, recordKitEvents } from '@kit/test-support';
import { useKitFixture } from '@kit/test-support/kit-fixture';
import { describe, expect, it } from 'vitest';

/**
 * The kit's behaviour is tested on the in-memory store (create-auth-kit.test.ts, sessions.test.ts
 * and the others beside it). Here, the few cases whose outcome also depends on PostgreSQL: crowds
 * of refreshes whose compare-and-set statements run at once on a pool of connections (and are
 * grouped, see the rotation batcher), and the largest values the kit accepts stored in the
 * columns of `kit_sessions`.
 */

describe('the kit on PostgreSQL', () => {
  const f = useKitFixture();

  it('50 concurrent refreshes of one token all succeed with the identical new refresh token', async () => {
    const seen = recordKitEvents(f.kit);
    const first = await f.kit.createSession({ userId: 'carol' });
    const results = await Promise.all(Array.from({ length: 50 }, () => f.kit.refresh(first.refreshToken)));
    const refreshTokens = new Set(results.map((r) => r.refreshToken));
    expect(refreshTokens.size).toBe(1);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(50);
    const session = await f.kit.sessions.get(first.session.id);
    expect(session).toMatchObject({ status: 'active', generation: 1, revokedAt: null });
    // One real rotation, 49 grace answers, no reuse verdict.
    const mine = seen.session_refreshed.filter((e) => e.session.id === first.session.id);
    expect(mine.filter((e) => !e.grace)).toHaveLength(1);
    expect(mine.filter((e) => e.grace)).toHaveLength(49);
    expect(seen.reuse_detected).toHaveLength(0);
    // And the shared successor keeps working.
    const next = await f.kit.refresh([...refreshTokens][0]!);
    expect(next.session.generation).toBe(2);
  });

  it('concurrent replays of an ancient token share one chain walk and raise one alert', async () => {
    const seen = recordKitEvents(f.kit);
    const t0 = await f.kit.createSession({ userId: 'olga' });
    let token = t0.refreshToken;
    for (let i = 0; i < 300; i++) token = (await f.kit.refresh(token)).refreshToken;
    f.clock.advance(60_000);
    const codes = await Promise.all(
      Array.from({ length: 20 }, () => kitErrorCode(f.kit.refresh(t0.refreshToken))),
    );
    // Callers that read the row after the revocation committed see a revoked session.
    expect(codes).toContain('ERR_REFRESH_TOKEN_REUSED');
    expect(codes.every((c) => c === 'ERR_REFRESH_TOKEN_REUSED' || c === 'ERR_SESSION_REVOKED')).toBe(true);
    expect(seen.reuse_detected.filter((e) => e.session.id === t0.session.id)).toHaveLength(1);
    expect(seen.reuse_detected[0]).toMatchObject({ presentedGeneration: 0, currentGeneration: 300 });
    await expectKitError(f.kit.refresh(token), 'ERR_SESSION_REVOKED');
  });

  it('refuses control characters in identifiers instead of failing in the database', async () => {
    await expectKitError(f.kit.createSession({ userId: 'a\u0000b' }), 'ERR_INVALID_INPUT');
    await expectKitError(f.kit.createSession({ userId: 'a', clientId: 'c\nd' }), 'ERR_INVALID_INPUT');
    await expectKitError(f.kit.createSession({ userId: 'a', ip: '1.2.3.4\u0000' }), 'ERR_INVALID_INPUT');
    await expectKitError(f.kit.sessions.list('a\u0000'), 'ERR_INVALID_INPUT');
    const t = await f.kit.createSession({ userId: 'quinn', userAgent: 'agent\u0000\r\nX-Injected: 1' });
    expect(t.session.userAgent).toBe('agentX-Injected: 1');
  });

  it('stores the largest values the kit accepts, and refuses data PostgreSQL’s jsonb could not hold', async () => {
    // Characters of two and three UTF-8 bytes: the columns count characters, not bytes.
    const userId = 'é'.repeat(255);
    const t = await f.kit.createSession({
      userId,
      clientId: '€'.repeat(255),
      ip: 'f'.repeat(64),
      userAgent: 'ü'.repeat(2000),
      data: { text: 'ß'.repeat(1000), line: '\u2028', emoji: '🔑' },
    });
    const revoked = await f.kit.sessions.revoke(t.session.id, { reason: 'r'.repeat(64) });
    expect(revoked?.revokedReason).toBe('r'.repeat(64));
    const [stored] = await f.kit.sessions.list(userId, { status: 'all' });
    expect(stored).toMatchObject({
      clientId: '€'.repeat(255),
      ip: 'f'.repeat(64),
      userAgent: 'ü'.repeat(512),
      data: { text: 'ß'.repeat(1000), line: '\u2028', emoji: '🔑' },
    });
    const open = await f.kit.createSession({ userId });
    await expectKitError(
      f.kit.sessions.updateData(open.session.id, { nul: 'a\u0000b' }),
      'ERR_INVALID_INPUT',
    );
  });
});
