import { randomBytes } from 'node:crypto';
import { TEST_SECRET } from '@kit/test-support';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { utf8 } from '../crypto/primitives.ts';
import { RefreshTokenCodec } from '../tokens/refresh-token.ts';

/**
 * A refresh that fails must not tell by its duration why it failed: an unknown session, a wrong
 * secret and a revoked session (and an expired one, and a wrong secret presented as the previous
 * token) do the same work before they answer. Counted here, not timed: the SQL statements sent to
 * PostgreSQL, the SHA-256 digests and the HMACs computed, and the ORM entities built from rows.
 * (bench/src/timing.ts measures the answers' times at `/token`.)
 */

const counts = vi.hoisted(() => ({ sha256: 0, hmac: 0, compare: 0, entities: 0 }));

vi.mock('../crypto/primitives.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../crypto/primitives.ts')>();
  return {
    ...original,
    sha256: (data: Uint8Array) => {
      counts.sha256++;
      return original.sha256(data);
    },
    timingSafeEqual: (a: Uint8Array, b: Uint8Array) => {
      counts.compare++;
      return original.timingSafeEqual(a, b);
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
  statements: number;
  sha256: number;
  hmac: number;
  /** ORM entities built from rows (hydration costs far more than the statement's own work). */
  entities: number;
  code: string;
}

describe('failed refreshes do the same work whatever the reason', () => {
  let f: KitFixture;
  let codec: RefreshTokenCodec;
  let statements = 0;

  beforeAll(async () => {
    f = await createKitFixture();
    codec = await RefreshTokenCodec.create(utf8(TEST_SECRET));
    // Every statement, from the store's own helper or from the ORM, goes through a pooled
    // connection's `query`: count those calls.
    const client = f.orm.em.getConnection().getKnex().client as unknown as {
      acquireConnection(): Promise<{ query: (...args: unknown[]) => unknown }>;
    };
    f.orm.em.getEventManager().registerSubscriber({
      onInit: () => {
        counts.entities++;
      },
    });
    const acquire = client.acquireConnection.bind(client);
    const counted = new WeakSet<object>();
    client.acquireConnection = async () => {
      const connection = await acquire();
      if (!counted.has(connection)) {
        counted.add(connection);
        const query = connection.query.bind(connection);
        connection.query = (...args: unknown[]) => {
          statements++;
          return query(...args);
        };
      }
      return connection;
    };
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
    statements = 0;
    counts.sha256 = 0;
    counts.hmac = 0;
    counts.compare = 0;
    counts.entities = 0;
    const error = await f.kit.refresh(token).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    return {
      statements,
      sha256: counts.sha256,
      hmac: counts.hmac,
      entities: counts.entities,
      code: error?.code ?? 'none',
    };
  }

  it('unknown session, wrong secret, revoked, expired: same statements, digests, HMACs, entities', async () => {
    const open = async () => {
      const first = await f.kit.createSession({ userId: 'u-work' });
      const second = await f.kit.refresh(first.refreshToken);
      return { id: second.session.id, token: second.refreshToken };
    };

    const unknown = await open();
    await f.orm.em.getConnection().execute('delete from kit_sessions where id = ?', [unknown.id]);
    const revoked = await open();
    await f.kit.sessions.revoke(revoked.id);
    const wrong = await open();
    const expired = await open();
    await f.kit.sessions.extend(expired.id, { idle: 1 });

    // Warm: the ORM's first query prepares metadata, which is work no later request repeats.
    await work(await forge(wrong.token));
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
      const again = await work(token);
      expect(again, name).toEqual(measured[name]);
    }

    expect(measured['unknown session']?.code).toBe('ERR_REFRESH_TOKEN_INVALID');
    expect(measured['revoked session']?.code).toBe('ERR_SESSION_REVOKED');
    expect(measured['wrong secret']?.code).toBe('ERR_REFRESH_TOKEN_INVALID');
    expect(measured['wrong secret as the previous token']?.code).toBe('ERR_REFRESH_TOKEN_INVALID');
    expect(measured['expired session']?.code).toBe('ERR_SESSION_EXPIRED');

    const reference = measured['unknown session']!;
    expect(reference.statements).toBeGreaterThan(0);
    expect(reference.sha256).toBeGreaterThan(0);
    expect(reference.hmac).toBeGreaterThan(0);
    for (const [name, w] of Object.entries(measured)) {
      const { code: _, ...work } = w;
      const { code: __, ...expected } = reference;
      expect(work, name).toEqual(expected);
    }
    // Nothing was changed by any of them.
    expect((await f.kit.sessions.get(wrong.id))?.status).toBe('active');
    expect((await f.kit.sessions.get(unknown.id))?.status).toBeUndefined();
  });
});
