import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KitError } from '../errors.ts';
import type { AuthKit } from '../kit/types.ts';
import type { SessionStore } from '../store/session-store.ts';
import { createKitOrm } from './create-kit-orm.ts';
import { createMikroOrmStore } from './mikro-orm-store.ts';

/** A store whose `purge` waits for `open()` before it runs: the lock holder stays inside its run. */
function gated(store: SessionStore) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let batches = 0;
  const wrapped: SessionStore = {
    ...store,
    async purge(options) {
      batches++;
      await gate;
      return store.purge(options);
    },
  };
  return {
    store: wrapped,
    open,
    get batches() {
      return batches;
    },
  };
}

async function onServer<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

describe('one purge at a time across instances (PostgreSQL)', () => {
  let f: KitFixture;
  let otherOrm: MikroORM;

  beforeAll(async () => {
    f = await createKitFixture();
    otherOrm = await createKitOrm({ databaseUrl: f.db.url, poolSize: 5 });
  });
  afterAll(async () => {
    await otherOrm.close();
    await f.close();
  });

  async function rowCount(): Promise<number> {
    const rows = await f.orm.em.getConnection().execute('select count(*)::int as n from kit_sessions');
    return rows[0]!.n as number;
  }

  /** `dead` revoked sessions and `live` active ones; returns the table's row count. */
  async function seed(kit: AuthKit, dead: number, live: number): Promise<number> {
    for (let i = 0; i < dead; i++) {
      const t = await kit.createSession({ userId: `dead-${i}` });
      await kit.sessions.revoke(t.session.id);
    }
    for (let i = 0; i < live; i++) await kit.createSession({ userId: `live-${i}` });
    f.clock.advance(1000);
    return rowCount();
  }

  it('two pruners on two ORMs started at once: one purges everything, the other skips', async () => {
    const first = gated(createMikroOrmStore({ orm: f.orm }));
    const second = gated(createMikroOrmStore({ orm: otherOrm }));
    const kits = [await f.makeKit({ store: first.store }), await f.makeKit({ store: second.store })];
    const before = await seed(kits[0]!, 30, 3);
    const runs: { deleted: number; skipped: boolean }[][] = [[], []];
    const pruners = kits.map((kit, i) =>
      kit.startPruner({
        interval: '1h',
        retain: 0,
        batchSize: 4,
        onRun: (deleted, run) => runs[i]!.push({ deleted, ...run }),
        onError: (error) => {
          throw error;
        },
      }),
    );
    try {
      const results = Promise.all(pruners.map((pruner) => pruner.runNow()));
      // The holder is stuck in its first batch, so the other one tries while the lock is held.
      await vi.waitFor(() => expect(runs.flat()).toEqual([{ deleted: 0, skipped: true }]), {
        timeout: 10_000,
      });
      first.open();
      second.open();
      const deleted = await results;
      expect([...deleted].sort((a, b) => a - b)).toEqual([0, 30]);
      const holder = deleted.indexOf(30);
      expect(runs[holder]).toEqual([{ deleted: 30, skipped: false }]);
      expect(runs[1 - holder]).toEqual([{ deleted: 0, skipped: true }]);
      // The skipped instance never purged a batch; nothing was deleted twice or left behind.
      expect([first, second][1 - holder]!.batches).toBe(0);
      expect(await rowCount()).toBe(before - 30);
      // The lock is free again: the next run of either instance purges (nothing left).
      await expect(pruners[1 - holder]!.runNow()).resolves.toBe(0);
      expect(runs[1 - holder]!.at(-1)).toEqual({ deleted: 0, skipped: false });
    } finally {
      await Promise.all(pruners.map((pruner) => pruner.stop()));
    }
  }, 60_000);

  it('a holder that crashed does not block the next purge', async () => {
    const kit = await f.makeKit({ store: createMikroOrmStore({ orm: otherOrm }) });
    await seed(kit, 5, 0);
    const holder = new pg.Client({ connectionString: f.db.url });
    await holder.connect();
    holder.on('error', () => undefined);
    await holder.query('begin');
    const taken = await holder.query(
      `select pg_try_advisory_xact_lock(hashtext('kit_sessions_purge')) as locked`,
    );
    expect(taken.rows[0].locked).toBe(true);

    const skipped = await kit.sessions.purgeExpired().catch((error: KitError) => error.code);
    expect(skipped).toBe('ERR_PURGE_IN_PROGRESS');

    // The process dies: its connection closes without a word, PostgreSQL ends its transaction.
    (holder as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await vi.waitFor(async () => expect(await kit.sessions.purgeExpired()).toBe(5), {
      timeout: 10_000,
      interval: 100,
    });
  }, 60_000);

  it('a holder that hangs loses the lock after purgeLockTimeout, and finds out at its next batch', async () => {
    const hanging = createMikroOrmStore({ orm: otherOrm, purgeLockTimeout: 1 });
    const other = createMikroOrmStore({ orm: f.orm });
    const lock = await hanging.lockPurge!();
    expect(lock).not.toBeNull();
    expect(await other.lockPurge!()).toBeNull();
    // Nothing from the holder for over a second: PostgreSQL ends its transaction and the lock.
    let next: Awaited<ReturnType<NonNullable<SessionStore['lockPurge']>>> = null;
    await vi.waitFor(
      async () => {
        next = await other.lockPurge!();
        expect(next).not.toBeNull();
      },
      { timeout: 10_000, interval: 250 },
    );
    const lost = await lock!.check().catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(KitError);
    expect((lost as KitError).code).toBe('ERR_STORE_UNAVAILABLE');
    await lock!.release();
    await next!.release();
  }, 60_000);

  it('purges with poolSize 1: the lock takes no connection of the pool', async () => {
    // Serverless hosts often run one connection per instance. Were the lock on a pool connection,
    // every batch would wait for it until the acquire timeout and fail, run after run.
    const backends = () =>
      onServer(f.db.directUrl, async (c) => {
        const r = await c.query(
          'select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        );
        return r.rows[0].n as number;
      });
    const baseline = await backends();
    const single = await createKitOrm({ databaseUrl: f.db.url, poolSize: 1, timeoutMs: 500 });
    try {
      const kit = await f.makeKit({ store: createMikroOrmStore({ orm: single }) });
      const before = await seed(kit, 6, 2);
      const errors: unknown[] = [];
      const runs: number[] = [];
      const pruner = kit.startPruner({
        interval: '1h',
        retain: 0,
        batchSize: 4,
        onRun: (deleted) => runs.push(deleted),
        onError: (error) => errors.push(error),
      });
      try {
        await expect(pruner.runNow()).resolves.toBe(6);
      } finally {
        await pruner.stop();
      }
      expect(errors).toEqual([]);
      expect(runs).toEqual([6]);
      expect(await rowCount()).toBe(before - 6);
      // The lock was released: the next run takes it again, and the pool still serves requests.
      await expect(kit.sessions.purgeExpired()).resolves.toBe(0);
      await expect(kit.createSession({ userId: 'after' })).resolves.toMatchObject({ tokenType: 'Bearer' });
    } finally {
      await single.close();
    }
    // The lock's own connection was closed at release, not left open beside the pool.
    if (!f.db.pooled)
      await vi.waitFor(async () => expect(await backends()).toBe(baseline), { timeout: 5_000 });
  }, 60_000);

  it('a held lock blocks no refresh and no revalidation of the rows it may purge', async () => {
    const store = createMikroOrmStore({ orm: f.orm });
    const lock = await store.lockPurge!();
    try {
      const t = await f.kit.createSession({ userId: 'while-locked' });
      await f.kit.sessions.extend(t.session.id, { idle: 1 });
      f.clock.advance(2000);
      await expect(f.kit.sessions.revalidate(t.session.id)).resolves.toMatchObject({ status: 'active' });
      await expect(f.kit.refresh(t.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
    } finally {
      await lock!.release();
    }
    // Released: the next taker gets it.
    const again = await store.lockPurge!();
    expect(again).not.toBeNull();
    await again!.release();
  });
});
