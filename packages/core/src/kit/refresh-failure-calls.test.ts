import { randomBytes } from 'node:crypto';
import { createMemoryKitFixture, type MemoryKitFixture, TEST_SECRET } from '@kit/test-support';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { utf8 } from '../crypto/primitives.ts';
import type { AuthKit } from '../index.ts';
import { createMemorySessionStore } from '../store/create-memory-session-store.ts';
import type { SessionStore } from '../store/session-store.ts';
import { RefreshTokenCodec } from '../tokens/refresh-token.ts';

/**
 * A refresh that fails must not tell by its duration why it failed: an unknown session, a wrong
 * secret and a revoked session (and an expired one, and a wrong secret presented as the previous
 * token) do the same work before they answer. Counted here, on the in-memory store: the store
 * calls the kit makes, in order, and the SHA-256 digests and HMACs it computes. What the
 * PostgreSQL store does for each call (one statement, no ORM entity, a decoy row for a missing
 * session) is counted in refresh-failure-work.test.ts.
 */

const counts = vi.hoisted(() => ({ sha256: 0, hmac: 0 }));

vi.mock('../crypto/primitives.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../crypto/primitives.ts')>();
  return {
    ...original,
    sha256: (data: Uint8Array) => {
      counts.sha256++;
      return original.sha256(data);
    },
    createHmacKey: async (raw: Uint8Array) => {
      const key = await original.createHmacKey(raw);
      return {
        sign: (data: Uint8Array) => {
          counts.hmac++;
          return key.sign(data);
        },
      };
    },
  };
});

interface Work {
  /** The store methods called, in order. */
  calls: string[];
  sha256: number;
  hmac: number;
  code: string;
}

describe('failed refreshes make the same store calls and compute the same digests', () => {
  let f: MemoryKitFixture;
  let codec: RefreshTokenCodec;
  let kit: AuthKit;
  let calls: string[] = [];

  beforeAll(async () => {
    f = await createMemoryKitFixture();
    codec = await RefreshTokenCodec.create(utf8(TEST_SECRET));
    const store = f.store as unknown as Record<string, (...args: unknown[]) => unknown>;
    const counted = Object.fromEntries(
      Object.entries(store).map(([name, method]) => [
        name,
        (...args: unknown[]) => {
          calls.push(name);
          return method(...args);
        },
      ]),
    );
    kit = await f.makeKit({ store: counted as unknown as SessionStore });
  });
  afterAll(async () => {
    await f?.close();
  });

  /** A genuine token (the server's own tag) with a secret this session never had. */
  async function forge(token: string, generationOffset = 0): Promise<string> {
    const parts = await codec.decode(token);
    return codec.encode({
      ...parts,
      generation: parts.generation + generationOffset,
      secret: new Uint8Array(randomBytes(32)),
    });
  }

  async function work(token: string): Promise<Work> {
    calls = [];
    counts.sha256 = 0;
    counts.hmac = 0;
    const error = await kit.refresh(token).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    return { calls, sha256: counts.sha256, hmac: counts.hmac, code: error?.code ?? 'none' };
  }

  it('unknown session, wrong secret, revoked, expired: same calls, digests and HMACs', async () => {
    const open = async (on: AuthKit) => {
      const first = await on.createSession({ userId: 'u-work' });
      const second = await on.refresh(first.refreshToken);
      return { id: second.session.id, token: second.refreshToken };
    };
    // A genuine token of a session this store never had: opened on a store of its own.
    const unknown = await open(await f.makeKit({ store: createMemorySessionStore() }));
    const revoked = await open(kit);
    await kit.sessions.revoke(revoked.id);
    const wrong = await open(kit);
    const expired = await open(kit);
    await kit.sessions.extend(expired.id, { idle: 1 });
    f.clock.advance(2000);

    const paths: Record<string, string> = {
      'unknown session': unknown.token,
      'revoked session': revoked.token,
      'wrong secret': await forge(wrong.token),
      'wrong secret as the previous token': await forge(wrong.token, -1),
      'expired session': expired.token,
    };
    const measured: Record<string, Work> = {};
    for (const [name, token] of Object.entries(paths)) measured[name] = await work(token);
    // Twice, in another order: the counts must not depend on what ran before.
    for (const [name, token] of Object.entries(paths).reverse()) {
      expect(await work(token), name).toEqual(measured[name]);
    }

    expect(measured['unknown session']?.code).toBe('ERR_REFRESH_TOKEN_INVALID');
    expect(measured['revoked session']?.code).toBe('ERR_SESSION_REVOKED');
    expect(measured['wrong secret']?.code).toBe('ERR_REFRESH_TOKEN_INVALID');
    expect(measured['wrong secret as the previous token']?.code).toBe('ERR_REFRESH_TOKEN_INVALID');
    expect(measured['expired session']?.code).toBe('ERR_SESSION_EXPIRED');

    const { code: _, ...reference } = measured['unknown session']!;
    expect(reference.calls).toEqual(['rotate', 'find']);
    expect(reference.sha256).toBeGreaterThan(0);
    expect(reference.hmac).toBeGreaterThan(0);
    for (const [name, { code: __, ...each }] of Object.entries(measured)) {
      expect(each, name).toEqual(reference);
    }
    // Nothing was changed by any of them.
    expect((await kit.sessions.get(wrong.id))?.status).toBe('active');
    expect((await kit.sessions.get(unknown.id))?.status).toBeUndefined();
  });
});
