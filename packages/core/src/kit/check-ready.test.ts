import { createFakeClock, TEST_SECRET, testKeys } from '@kit/test-support';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { type OutageProxy, proxyDatabase } from '@kit/test-support/tcp-proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthKit, createAuthKit, KitError, type SessionStore } from '../index.ts';
import { createKitOrm, createMikroOrmKeyStore, createMikroOrmStore, migrate } from '../mikro-orm/index.ts';

/**
 * `kit.checkReady()` and the store's `ping`, on a real PostgreSQL behind a TCP proxy the test cuts:
 * what a readiness probe reports while the database is down, once it is back, and when the signing
 * keys held may be out of date.
 */
describe('kit.checkReady', () => {
  let db: TestDatabase;
  let proxy: OutageProxy;
  let orm: Awaited<ReturnType<typeof createKitOrm>>;
  const kits: AuthKit[] = [];
  const clock = createFakeClock();

  beforeAll(async () => {
    db = await createTestDatabase();
    const through = await proxyDatabase(db.url);
    proxy = through.proxy;
    orm = await createKitOrm({ databaseUrl: through.url, timeoutMs: 1000 });
    await migrate(orm);
  });
  afterAll(async () => {
    for (const kit of kits) await kit.close();
    await orm.close();
    await proxy.close();
    await db.drop();
  });

  async function makeKit(store: SessionStore, keyStore = false): Promise<AuthKit> {
    const kit = await createAuthKit({
      issuer: 'https://auth.test',
      audience: 'https://api.test',
      secret: TEST_SECRET,
      ...(keyStore ? { keyStore: createMikroOrmKeyStore({ orm }) } : { signingKeys: await testKeys() }),
      keyRotation: { refreshInterval: '30s' },
      store,
      clock: clock.now,
    });
    kits.push(kit);
    return kit;
  }

  it('is ready while the store answers, reports the database while it does not, and recovers', async () => {
    const kit = await makeKit(createMikroOrmStore({ orm }));
    expect(await kit.checkReady()).toEqual({ ready: true, checks: { database: 'ok', signingKeys: 'ok' } });

    await proxy.cut('refuse');
    try {
      expect(await kit.checkReady()).toEqual({
        ready: false,
        checks: { database: 'unavailable', signingKeys: 'ok' },
      });
    } finally {
      await proxy.restore();
    }
    expect((await kit.checkReady()).ready).toBe(true);
  });

  it('settles within the store timeout when the database hangs', async () => {
    const kit = await makeKit(createMikroOrmStore({ orm }));
    await proxy.cut('blackhole');
    try {
      const started = performance.now();
      const report = await kit.checkReady();
      expect(report.checks.database).toBe('unavailable');
      // timeoutMs 1000 (+500 ms for a statement already sent), with room for a busy machine.
      expect(performance.now() - started).toBeLessThan(4000);
    } finally {
      await proxy.restore();
    }
  });

  it('ping rejects with a store error code when the kit tables are missing', async () => {
    const bare = await createTestDatabase();
    const bareOrm = await createKitOrm({ databaseUrl: bare.url });
    try {
      const store = createMikroOrmStore({ orm: bareOrm });
      const error = await store.ping!().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KitError);
      expect((error as KitError).code).toBe('ERR_STORE_FAILURE');
      expect((error as Error).message).toContain('migrations');
      const kit = await makeKit(store);
      expect((await kit.checkReady()).checks.database).toBe('unavailable');
    } finally {
      await bareOrm.close();
      await bare.drop();
    }
  });

  it('falls back to one find when the store has no ping', async () => {
    const { ping: _ping, ...withoutPing } = createMikroOrmStore({ orm });
    const kit = await makeKit(withoutPing as SessionStore);
    expect((await kit.checkReady()).ready).toBe(true);
    await proxy.cut('refuse');
    try {
      expect((await kit.checkReady()).checks.database).toBe('unavailable');
    } finally {
      await proxy.restore();
    }
  });

  it('reports signing keys not read within the lead time, and reads them again when it can', async () => {
    const kit = await makeKit(createMikroOrmStore({ orm }), true);
    expect((await kit.checkReady()).checks.signingKeys).toBe('ok');
    // Lead time: jwksMaxAge + refreshInterval. Past it, a key another instance rotated in could
    // be signing without this instance knowing it.
    const leadMs = (kit.config.jwksMaxAge + 30) * 1000;

    clock.advance(leadMs - 1000);
    await proxy.cut('refuse');
    try {
      // Still within the lead time: the held set is known to be current, whatever the database.
      expect((await kit.checkReady()).checks.signingKeys).toBe('ok');
      clock.advance(2000);
      expect(await kit.checkReady()).toEqual({
        ready: false,
        checks: { database: 'unavailable', signingKeys: 'unavailable' },
      });
    } finally {
      await proxy.restore();
    }
    // Back: the probe itself reads the keys again, instead of waiting for the next reload.
    expect(await kit.checkReady()).toEqual({ ready: true, checks: { database: 'ok', signingKeys: 'ok' } });
  });
});
