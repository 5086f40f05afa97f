import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { SessionRecord, SessionStore } from '../store/session-store.ts';
import { createKitOrm, migrate } from './index.ts';

// The shared parts of the tests of the kit behind a connection pooler in transaction mode
// (pooler.test.ts, pooler-statements.test.ts): `.ci/steps/pgbouncer.sh` runs them through a stock
// PgBouncer (`KIT_TEST_POOLER_URL`); without a pooler they run on the server directly, where the
// same promises hold.

/** The suite's name: which way the tests reach the server. */
export const THROUGH = `the kit through ${process.env.KIT_TEST_POOLER_URL ? 'a pooler in transaction mode' : 'a direct connection'}`;

/** The time every session of the tests starts at. */
export const T0 = Date.UTC(2030, 0, 1);

/**
 * A fresh test database and two instances on it (pools of 8) that migrated it together, as two
 * instances starting at once do. Each test file has its own database, so its own pooler pool.
 */
export async function openTwoInstances(): Promise<{ db: TestDatabase; orms: MikroORM[] }> {
  const db = await createTestDatabase();
  const orms = [
    await createKitOrm({ databaseUrl: db.url, poolSize: 8 }),
    await createKitOrm({ databaseUrl: db.url, poolSize: 8 }),
  ];
  await Promise.all(orms.map((orm) => migrate(orm)));
  return { db, orms };
}

/** A session record of `userId`, its secret hash filled with `i + 1`. */
export function record(i: number, userId: string): SessionRecord {
  return {
    id: crypto.randomUUID(),
    userId,
    clientId: 'test',
    createdAt: new Date(T0),
    lastRefreshedAt: new Date(T0),
    idleExpiresAt: new Date(T0 + 86_400_000),
    absoluteExpiresAt: new Date(T0 + 2 * 86_400_000),
    revokedAt: null,
    revokedReason: null,
    userAgent: null,
    ip: null,
    data: {},
    generation: 0,
    secretHash: new Uint8Array(32).fill(i + 1),
    rotatedAt: null,
    dpopJkt: null,
  };
}

/** Rotates `session` `steps` times; every rotation must win its compare-and-set. */
export async function rotateChain(store: SessionStore, session: SessionRecord, steps: number, salt: number) {
  let current = session;
  for (let step = 0; step < steps; step++) {
    const next = await store.rotate({
      id: current.id,
      generation: current.generation,
      secretHash: current.secretHash,
      nextSecretHash: new Uint8Array(32).fill((salt + step) % 256),
      now: new Date(T0 + 1000 + step),
      idleExpiresAt: new Date(T0 + 86_400_000),
    });
    if (next === null) throw new Error(`rotation ${step} of ${session.userId} lost its compare-and-set`);
    current = next;
  }
  return current;
}
