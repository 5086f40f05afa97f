import { createMemoryKitFixture, type MemoryKitFixture } from '@kit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KitStoreUnavailableError } from '../errors.ts';
import type { SessionStore } from '../store/session-store.ts';

/**
 * What `kit.checkReady()` asks of the store, on the in-memory store: its `ping`, or one `find`
 * without it, and how a failure of either reads. (check-ready.test.ts cuts a real PostgreSQL.)
 */
describe('kit.checkReady and the store', () => {
  let f: MemoryKitFixture;
  beforeAll(async () => {
    f = await createMemoryKitFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  const ready = { ready: true, checks: { database: 'ok', signingKeys: 'ok' } };
  const down = { ready: false, checks: { database: 'unavailable', signingKeys: 'ok' } };

  it('is ready while ping resolves, and not while it rejects or throws', async () => {
    expect(await f.kit.checkReady()).toEqual(ready);
    const rejecting = await f.makeKit({
      store: { ...f.store, ping: () => Promise.reject(new KitStoreUnavailableError()) },
    });
    expect(await rejecting.checkReady()).toEqual(down);
    const throwing = await f.makeKit({
      store: {
        ...f.store,
        ping: () => {
          throw new Error('thrown before any promise');
        },
      },
    });
    expect(await throwing.checkReady()).toEqual(down);
  });

  it('without ping, reads one session no one has, and reports its failure', async () => {
    const found: string[] = [];
    const { ping: _ping, ...withoutPing } = f.store;
    const store: SessionStore = {
      ...withoutPing,
      find: (id) => {
        found.push(id);
        return f.store.find(id);
      },
    };
    expect(await (await f.makeKit({ store })).checkReady()).toEqual(ready);
    expect(found).toEqual(['00000000-0000-0000-0000-000000000000']);
    const failing = await f.makeKit({
      store: { ...withoutPing, find: () => Promise.reject(new KitStoreUnavailableError()) },
    });
    expect(await failing.checkReady()).toEqual(down);
  });
});
