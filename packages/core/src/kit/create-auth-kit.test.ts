import { expectKitError, kitErrorCode, recordKitEvents, useMemoryKitFixture } from '@kit/test-support';
import { describe, expect, it, vi } from 'vitest';
import { createMemorySessionStore } from '../store/create-memory-session-store.ts';
import { REFRESH_TOKEN_PREFIX } from '../tokens/refresh-token.ts';

const SECOND = 1000;
const DAY = 86_400 * SECOND;

describe('rotation, grace and reuse detection', () => {
  const f = useMemoryKitFixture();

  it('opens a session with an RFC 9068 access token and a prefixed refresh token', async () => {
    const tokens = await f.kit.createSession({ userId: 'alice', userAgent: 'test-agent', ip: '10.0.0.1' });
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.expiresIn).toBe(300);
    expect(tokens.refreshToken.startsWith(REFRESH_TOKEN_PREFIX)).toBe(true);
    const [header] = tokens.accessToken.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({
      alg: 'ES256',
      typ: 'at+jwt',
    });
    const claims = await f.kit.verifyAccessToken(tokens.accessToken);
    expect(claims).toMatchObject({
      iss: 'https://auth.test',
      aud: 'https://api.test',
      sub: 'alice',
      client_id: 'default',
      sid: tokens.session.id,
      iat: f.clock.now() / 1000,
      exp: f.clock.now() / 1000 + 300,
    });
    expect(typeof claims.jti).toBe('string');
    expect(tokens.session).toMatchObject({
      userId: 'alice',
      generation: 0,
      status: 'active',
      userAgent: 'test-agent',
    });
  });

  it('rotates: the current token yields new tokens, and the chain goes on', async () => {
    const first = await f.kit.createSession({ userId: 'bob' });
    const second = await f.kit.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.session.generation).toBe(1);
    const third = await f.kit.refresh(second.refreshToken);
    expect(third.session.generation).toBe(2);
    expect((await f.kit.verifyAccessToken(third.accessToken)).sid).toBe(first.session.id);
  });

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

  it('within the grace window the previous token returns the identical current token', async () => {
    const first = await f.kit.createSession({ userId: 'dave' });
    const second = await f.kit.refresh(first.refreshToken);
    f.clock.advance(10 * SECOND); // the grace is inclusive of 10 s
    const retry = await f.kit.refresh(first.refreshToken);
    expect(retry.refreshToken).toBe(second.refreshToken);
    expect(retry.accessToken).not.toBe(second.accessToken);
    expect(retry.session.generation).toBe(1);
  });

  it('after the grace window the old token revokes the session and the newest token stops working', async () => {
    const seen = recordKitEvents(f.kit);
    const first = await f.kit.createSession({ userId: 'erin' });
    const second = await f.kit.refresh(first.refreshToken);
    f.clock.advance(10 * SECOND + 1);
    await expectKitError(f.kit.refresh(first.refreshToken), 'ERR_REFRESH_TOKEN_REUSED');
    await expectKitError(f.kit.refresh(second.refreshToken), 'ERR_SESSION_REVOKED');
    const session = await f.kit.sessions.get(first.session.id);
    expect(session).toMatchObject({ status: 'revoked', revokedReason: 'refresh_token_reused' });
    expect(seen.reuse_detected).toHaveLength(1);
    expect(seen.reuse_detected[0]).toMatchObject({ presentedGeneration: 0, currentGeneration: 1 });
    expect(seen.session_revoked.map((e) => e.reason)).toEqual(['refresh_token_reused']);
  });

  it('an older ancestor revokes the session even inside the grace window of a later rotation', async () => {
    const t0 = await f.kit.createSession({ userId: 'frank' });
    const t1 = await f.kit.refresh(t0.refreshToken);
    const t2 = await f.kit.refresh(t1.refreshToken);
    const t3 = await f.kit.refresh(t2.refreshToken);
    await expectKitError(f.kit.refresh(t0.refreshToken), 'ERR_REFRESH_TOKEN_REUSED');
    await expectKitError(f.kit.refresh(t3.refreshToken), 'ERR_SESSION_REVOKED');
  });

  it('a forged or mistyped token never revokes anybody and changes nothing', async () => {
    const seen = recordKitEvents(f.kit);
    const t0 = await f.kit.createSession({ userId: 'grace' });
    const t1 = await f.kit.refresh(t0.refreshToken);
    f.clock.advance(60 * SECOND);
    const body = t0.refreshToken.slice(REFRESH_TOKEN_PREFIX.length);
    const variants = [
      '',
      'kit_rt_',
      t0.refreshToken.slice(0, -1),
      `${t0.refreshToken}A`,
      t0.refreshToken.toUpperCase(),
      `kit_xx_${body}`,
      // Flip one character in each region: version, session id, generation, secret, tag.
      ...[0, 3, 25, 29, 50, 80, 91].map((i) => {
        const c = body[i] === 'A' ? 'B' : 'A';
        return REFRESH_TOKEN_PREFIX + body.slice(0, i) + c + body.slice(i + 1);
      }),
    ];
    for (const token of variants) {
      await expectKitError(f.kit.refresh(token), 'ERR_REFRESH_TOKEN_MALFORMED');
    }
    for (const value of [undefined, null, 42, {}, ['x']]) {
      await expectKitError(f.kit.refresh(value as never), 'ERR_REFRESH_TOKEN_MALFORMED');
    }
    expect(seen.reuse_detected).toHaveLength(0);
    expect((await f.kit.sessions.get(t0.session.id))?.status).toBe('active');
    const t2 = await f.kit.refresh(t1.refreshToken);
    expect(t2.session.generation).toBe(2);
  });

  it('a token minted under another KIT_SECRET is malformed here and revokes nothing', async () => {
    const other = await f.makeKit({ secret: 'another-secret-9876543210-zyxwvutsrqponmlkjihgfedcba' });
    const mine = await f.kit.createSession({ userId: 'heidi' });
    const foreign = await other.createSession({ userId: 'heidi' });
    await expectKitError(f.kit.refresh(foreign.refreshToken), 'ERR_REFRESH_TOKEN_MALFORMED');
    await expectKitError(other.refresh(mine.refreshToken), 'ERR_REFRESH_TOKEN_MALFORMED');
    expect((await f.kit.sessions.get(mine.session.id))?.status).toBe('active');
  });

  it('a genuine token of a purged session is invalid_grant material, not a crash', async () => {
    // A store of its own, so the purge deletes no other test's session.
    const kit = await f.makeKit({ store: createMemorySessionStore() });
    const t0 = await kit.createSession({ userId: 'ivan' });
    await kit.sessions.revoke(t0.session.id);
    f.clock.advance(1);
    expect(await kit.sessions.purgeExpired({ retain: 0 })).toBe(1);
    expect(await kit.sessions.get(t0.session.id)).toBeNull();
    await expectKitError(kit.refresh(t0.refreshToken), 'ERR_REFRESH_TOKEN_INVALID');
  });

  it('a revoked session refuses its current token without another event', async () => {
    const seen = recordKitEvents(f.kit);
    const t0 = await f.kit.createSession({ userId: 'judy' });
    await f.kit.sessions.revoke(t0.session.id, { reason: 'logout' });
    await expectKitError(f.kit.refresh(t0.refreshToken), 'ERR_SESSION_REVOKED');
    expect(seen.reuse_detected).toHaveLength(0);
    expect(seen.session_revoked.map((e) => e.reason)).toEqual(['logout']);
  });

  it('records the latest client details on each rotation', async () => {
    const t0 = await f.kit.createSession({ userId: 'ken', userAgent: 'old', ip: '10.0.0.1' });
    const t1 = await f.kit.refresh(t0.refreshToken, { userAgent: 'new', ip: '10.0.0.2' });
    expect(t1.session).toMatchObject({ userAgent: 'new', ip: '10.0.0.2' });
    const t2 = await f.kit.refresh(t1.refreshToken);
    expect(t2.session).toMatchObject({ userAgent: 'new', ip: '10.0.0.2' });
    await expectKitError(f.kit.refresh(t2.refreshToken, { ip: 'x'.repeat(65) }), 'ERR_INVALID_INPUT');
  });

  it('a listener that throws does not break a refresh', async () => {
    const onListenerError = vi.fn();
    const kit = await f.makeKit({ onListenerError });
    kit.on('session_refreshed', () => {
      throw new Error('listener bug');
    });
    const t0 = await kit.createSession({ userId: 'leo' });
    await expect(kit.refresh(t0.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
    expect(onListenerError).toHaveBeenCalledWith(expect.any(Error), 'session_refreshed');
  });

  it('adds the claims hook result to access tokens and rejects reserved claims', async () => {
    const kit = await f.makeKit({ claims: ({ session }) => ({ role: session.data.role ?? 'user' }) });
    const t0 = await kit.createSession({ userId: 'mia', data: { role: 'admin' } });
    expect((await kit.verifyAccessToken(t0.accessToken)).role).toBe('admin');
    const bad = await f.makeKit({ claims: () => ({ sub: 'someone-else' }) });
    await expectKitError(bad.createSession({ userId: 'mia' }), 'ERR_INVALID_OPTIONS');
  });

  it('with a zero grace any replay of the previous token is reuse, even in the same millisecond', async () => {
    const kit = await f.makeKit({ reuseGrace: 0 });
    const t0 = await kit.createSession({ userId: 'nina' });
    await kit.refresh(t0.refreshToken);
    await expectKitError(kit.refresh(t0.refreshToken), 'ERR_REFRESH_TOKEN_REUSED');
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

  it('a revocation committed during a grace decision wins over the grace answer', async () => {
    // A store whose find() lets a revocation commit before the engine decides.
    const real = f.store;
    let revokeDuringFind: string | undefined;
    const store = {
      ...real,
      async find(id: string) {
        const record = await real.find(id);
        if (revokeDuringFind === id)
          await real.revoke(id, { reason: 'logout', now: new Date(f.clock.now()) });
        return record;
      },
    };
    const kit = await f.makeKit({ store });
    const t0 = await kit.createSession({ userId: 'pat' });
    await kit.refresh(t0.refreshToken);
    revokeDuringFind = t0.session.id;
    await expectKitError(kit.refresh(t0.refreshToken), 'ERR_SESSION_REVOKED');
  });

  it('refuses control characters in identifiers instead of failing in the database', async () => {
    await expectKitError(f.kit.createSession({ userId: 'a\u0000b' }), 'ERR_INVALID_INPUT');
    await expectKitError(f.kit.createSession({ userId: 'a', clientId: 'c\nd' }), 'ERR_INVALID_INPUT');
    await expectKitError(f.kit.createSession({ userId: 'a', ip: '1.2.3.4\u0000' }), 'ERR_INVALID_INPUT');
    await expectKitError(f.kit.sessions.list('a\u0000'), 'ERR_INVALID_INPUT');
    const t = await f.kit.createSession({ userId: 'quinn', userAgent: 'agent\u0000\r\nX-Injected: 1' });
    expect(t.session.userAgent).toBe('agentX-Injected: 1');
  });
});

describe('lifetimes with a fake clock', () => {
  const f = useMemoryKitFixture({ sessionIdleTtl: '1d', sessionMaxAge: '3d' });

  it('expires a session left idle, and refreshing slides the idle expiry', async () => {
    const t0 = await f.kit.createSession({ userId: 'idle' });
    f.clock.advance(DAY - SECOND);
    const t1 = await f.kit.refresh(t0.refreshToken);
    expect(t1.session.idleExpiresAt.getTime()).toBe(f.clock.now() + DAY);
    f.clock.advance(DAY);
    await expectKitError(f.kit.refresh(t1.refreshToken), 'ERR_SESSION_EXPIRED');
    expect((await f.kit.sessions.get(t0.session.id))?.status).toBe('expired');
  });

  it('never lets a session outlive its absolute age, however often refreshed', async () => {
    const t0 = await f.kit.createSession({ userId: 'absolute' });
    let token = t0.refreshToken;
    for (let i = 0; i < 5; i++) {
      f.clock.advance(DAY / 2);
      const next = await f.kit.refresh(token);
      expect(next.session.idleExpiresAt.getTime()).toBeLessThanOrEqual(
        t0.session.absoluteExpiresAt.getTime(),
      );
      token = next.refreshToken;
    }
    f.clock.set(t0.session.absoluteExpiresAt.getTime());
    await expectKitError(f.kit.refresh(token), 'ERR_SESSION_EXPIRED');
  });

  it('does not answer the grace replay of an expired session', async () => {
    const t0 = await f.kit.createSession({ userId: 'grace-expiry' });
    f.clock.advance(DAY - 2 * SECOND);
    await f.kit.refresh(t0.refreshToken);
    await f.kit.sessions.extend(t0.session.id, { idle: 1 });
    f.clock.advance(1 * SECOND);
    await expectKitError(f.kit.refresh(t0.refreshToken), 'ERR_SESSION_EXPIRED');
  });

  it('extends and shortens an active session', async () => {
    const t0 = await f.kit.createSession({ userId: 'extend' });
    const extended = await f.kit.sessions.extend(t0.session.id, { idle: '2d', absolute: '10d' });
    expect(extended.idleExpiresAt.getTime()).toBe(f.clock.now() + 2 * DAY);
    expect(extended.absoluteExpiresAt.getTime()).toBe(f.clock.now() + 10 * DAY);
    const shortened = await f.kit.sessions.extend(t0.session.id, {
      absolute: new Date(f.clock.now() + 60 * SECOND),
    });
    expect(shortened.expiresAt.getTime()).toBe(f.clock.now() + 60 * SECOND);
    await expectKitError(
      f.kit.sessions.extend(t0.session.id, { absolute: new Date(f.clock.now() - 1) }),
      'ERR_INVALID_INPUT',
    );
    f.clock.advance(61 * SECOND);
    await expectKitError(f.kit.refresh(t0.refreshToken), 'ERR_SESSION_EXPIRED');
    await expectKitError(f.kit.sessions.extend(t0.session.id, { idle: '1d' }), 'ERR_SESSION_NOT_FOUND');
  });

  it('an old token of an expired session changes nothing', async () => {
    const seen = recordKitEvents(f.kit);
    const t0 = await f.kit.createSession({ userId: 'expired-replay' });
    await f.kit.refresh(t0.refreshToken);
    f.clock.advance(DAY + SECOND);
    await expectKitError(f.kit.refresh(t0.refreshToken), 'ERR_SESSION_EXPIRED');
    expect(seen.reuse_detected).toHaveLength(0);
    expect((await f.kit.sessions.get(t0.session.id))?.status).toBe('expired');
    await expect(f.kit.sessions.revalidate(t0.session.id)).resolves.toMatchObject({ status: 'active' });
  });

  it('extending only the absolute expiry keeps an idle expiry slid by a refresh meanwhile', async () => {
    const real = f.store;
    let refreshDuringFind: (() => Promise<unknown>) | undefined;
    const store = {
      ...real,
      async find(id: string) {
        const record = await real.find(id);
        const run = refreshDuringFind;
        refreshDuringFind = undefined;
        await run?.();
        return record;
      },
    };
    const kit = await f.makeKit({ store });
    const t0 = await kit.createSession({ userId: 'extend-race' });
    f.clock.advance(DAY / 2);
    refreshDuringFind = () => kit.refresh(t0.refreshToken);
    const extended = await kit.sessions.extend(t0.session.id, { absolute: '3d' });
    expect(extended.idleExpiresAt.getTime()).toBe(f.clock.now() + DAY);
    expect(extended.generation).toBe(1);
  });

  it('revalidates an expired session so its current token works again, but never a revoked one', async () => {
    const t0 = await f.kit.createSession({ userId: 'revalidate' });
    const t1 = await f.kit.refresh(t0.refreshToken);
    await expectKitError(f.kit.sessions.revalidate(t0.session.id), 'ERR_SESSION_NOT_FOUND');
    f.clock.advance(DAY + SECOND);
    await expectKitError(f.kit.refresh(t1.refreshToken), 'ERR_SESSION_EXPIRED');
    const revalidated = await f.kit.sessions.revalidate(t0.session.id);
    expect(revalidated.status).toBe('active');
    const t2 = await f.kit.refresh(t1.refreshToken);
    expect(t2.session.generation).toBe(2);
    await f.kit.sessions.revoke(t0.session.id);
    f.clock.advance(4 * DAY);
    await expectKitError(f.kit.sessions.revalidate(t0.session.id), 'ERR_SESSION_NOT_FOUND');
  });
});
