import { performance } from 'node:perf_hooks';
import type { TestDatabase } from '@kit/test-support/database';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKitOrm,
  createMikroOrmKeyStore,
  createMikroOrmRateLimitStore,
  createMikroOrmStore,
} from './index.ts';
import { openTwoInstances, record, rotateChain, T0, THROUGH } from './pooler-test-support.ts';

/**
 * The kit behind a connection pooler in transaction mode, where consecutive statements of one
 * client may run on different server connections and a server connection serves many clients.
 * `.ci/steps/pgbouncer.sh` runs this file through a stock PgBouncer (`KIT_TEST_POOLER_URL`); without
 * a pooler it runs on the server directly, where the same promises hold.
 *
 * Through PgBouncer it failed before the statement timeout moved into each statement: the
 * `statement_timeout` startup parameter was refused ("unsupported startup parameter"), and named
 * prepared statements collided between clients ("prepared statement ... already exists").
 */
describe(THROUGH, () => {
  let db: TestDatabase;
  let orms: MikroORM[] = [];

  beforeAll(async () => {
    ({ db, orms } = await openTwoInstances());
  });

  afterAll(async () => {
    for (const orm of orms) await orm.close();
    await db?.drop();
  });

  it('rotates concurrently from two instances, alone and grouped, every rotation exactly once', async () => {
    const stores = orms.map((orm) => createMikroOrmStore({ orm }));
    const sessions = Array.from({ length: 24 }, (_, i) => record(i, `pooled-${i}`));
    for (const [i, session] of sessions.entries()) await stores[i % 2]!.insert(session);
    const steps = 12;
    // 24 chains at once over two pools of 8: statements go alone and grouped, on both instances,
    // over whatever server connections the pooler hands out.
    const finals = await Promise.all(
      sessions.map((session, i) => rotateChain(stores[i % 2]!, session, steps, i * 16)),
    );
    for (const [i, final] of finals.entries()) {
      expect(final.generation).toBe(steps);
      // Read back through the other instance.
      const stored = await stores[(i + 1) % 2]!.find(final.id);
      expect(stored?.generation).toBe(steps);
      expect(Buffer.from(stored!.secretHash).equals(Buffer.from(final.secretHash))).toBe(true);
    }
  });

  it('counts rate-limit hits from two instances exactly once', async () => {
    const limits = orms.map((orm) => createMikroOrmRateLimitStore({ orm }));
    const hits = await Promise.all(
      Array.from({ length: 40 }, (_, i) => limits[i % 2]!.hit('pooled', { windowMs: 60_000, now: T0 + i })),
    );
    expect(hits.map((hit) => hit.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
  });

  it('fails a statement stuck on a locked row with ERR_STORE_UNAVAILABLE after about timeoutMs, cancelled by the server', async () => {
    const timeoutMs = 600;
    const short = await createKitOrm({ databaseUrl: db.url, poolSize: 2, timeoutMs });
    const locker = new pg.Client({ connectionString: db.url });
    const observer = new pg.Client({ connectionString: db.directUrl });
    await locker.connect();
    await observer.connect();
    try {
      const store = createMikroOrmStore({ orm: short });
      const session = record(7, 'locked');
      await store.insert(session);
      await locker.query('begin');
      await locker.query('select 1 from kit_sessions where id = $1 for update', [session.id]);
      const started = performance.now();
      const error = await store
        .rotate({
          id: session.id,
          generation: 0,
          secretHash: session.secretHash,
          nextSecretHash: new Uint8Array(32).fill(99),
          now: new Date(T0 + 1000),
          idleExpiresAt: new Date(T0 + 86_400_000),
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      // 57014: PostgreSQL cancelled the statement itself (not the client giving up on a silent
      // server), so no backend keeps waiting on the lock after the caller was told it failed.
      expect((error as { cause?: { code?: string } }).cause?.code).toBe('57014');
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50);
      expect(elapsed).toBeLessThan(timeoutMs + 1500);
      const waiting = await observer.query(
        `select count(*)::int as n from pg_stat_activity
          where datname = $1 and wait_event_type = 'Lock' and query like 'update kit_sessions%'`,
        [db.name],
      );
      expect(waiting.rows[0].n).toBe(0);
      await locker.query('rollback');
      // The row is free again: the same rotation now succeeds.
      expect(
        await store.rotate({
          id: session.id,
          generation: 0,
          secretHash: session.secretHash,
          nextSecretHash: new Uint8Array(32).fill(99),
          now: new Date(T0 + 1000),
          idleExpiresAt: new Date(T0 + 86_400_000),
        }),
      ).toMatchObject({ generation: 1 });
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
      await observer.end();
      await short.close();
    }
  });

  it('times out a key-store transaction waiting on the signing-key lock held elsewhere', async () => {
    const timeoutMs = 500;
    const short = await createKitOrm({ databaseUrl: db.url, poolSize: 2, timeoutMs });
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(hashtext('kit_signing_keys'))`);
      const started = performance.now();
      const error = await createMikroOrmKeyStore({ orm: short })
        .exclusive(async (tx) => tx.list())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      expect((error as { cause?: { code?: string } }).cause?.code).toBe('57014');
      expect(elapsed).toBeLessThan(timeoutMs + 1500);
      await holder.query('commit');
      expect(await createMikroOrmKeyStore({ orm: short }).exclusive(async (tx) => tx.list())).toEqual([]);
    } finally {
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
      await short.close();
    }
  });

  it('sends statements without the timeout when statementTimeout is false, and checks the option', async () => {
    const plain = await createKitOrm({ databaseUrl: db.url, poolSize: 1, statementTimeout: false });
    const direct = new pg.Client({ connectionString: db.directUrl });
    await direct.connect();
    try {
      const serverDefault = (await direct.query('show statement_timeout')).rows[0].statement_timeout;
      const rows = (await plain.em
        .getConnection()
        .execute(`select current_setting('statement_timeout') as value`)) as { value: string }[];
      expect(rows[0]?.value).toBe(serverDefault);
    } finally {
      await direct.end();
      await plain.close();
    }
    await expect(
      createKitOrm({ databaseUrl: db.url, statementTimeout: 'yes' as unknown as boolean }),
    ).rejects.toThrow(/statementTimeout/);
  });

  // Named statements are for direct connections (and poolers that track them), not for this pooler.
  it.skipIf(Boolean(process.env.KIT_TEST_POOLER_URL))(
    'prepares the kit’s statements once per connection with preparedStatements, timed by the server through a startup parameter',
    async () => {
      const timeoutMs = 500;
      const prepared = await createKitOrm({
        databaseUrl: db.url,
        poolSize: 1,
        timeoutMs,
        preparedStatements: true,
      });
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      try {
        const store = createMikroOrmStore({ orm: prepared });
        const session = record(9, 'prepared');
        await store.insert(session);
        const rotated = await rotateChain(store, session, 3, 40);
        const names = (await prepared.em
          .getConnection()
          .execute(
            `select name from pg_prepared_statements where statement like 'update kit_sessions set%'`,
          )) as {
          name: string;
        }[];
        expect(names).toHaveLength(1);
        expect(names[0]!.name).toMatch(/^kit_[0-9a-f]{24}$/);
        // A named statement stuck behind a row lock is cancelled by the server as well.
        await locker.query('begin');
        await locker.query('select 1 from kit_sessions where id = $1 for update', [session.id]);
        const error = await store
          .rotate({
            id: rotated.id,
            generation: rotated.generation,
            secretHash: rotated.secretHash,
            nextSecretHash: new Uint8Array(32).fill(1),
            now: new Date(T0 + 5000),
            idleExpiresAt: new Date(T0 + 86_400_000),
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect((error as { cause?: { code?: string } }).cause?.code).toBe('57014');
      } finally {
        await locker.query('rollback').catch(() => undefined);
        await locker.end();
        await prepared.close();
      }
      await expect(
        createKitOrm({ databaseUrl: db.url, preparedStatements: 1 as unknown as boolean }),
      ).rejects.toThrow(/preparedStatements/);
    },
  );
});
