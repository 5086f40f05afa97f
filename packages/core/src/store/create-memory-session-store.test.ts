import { describe, expect, it } from 'vitest';
import { KitError } from '../errors.ts';
import { describeSessionStoreConformance } from '../testing/index.ts';
import { record } from '../testing/session-store-records.ts';
import { createMemorySessionStore } from './create-memory-session-store.ts';

describeSessionStoreConformance('in memory', async () => ({ store: createMemorySessionStore() }));

describe('createMemorySessionStore', () => {
  it('keeps each store’s sessions to itself', async () => {
    const one = createMemorySessionStore();
    const other = createMemorySessionStore();
    const r = record();
    await one.insert(r);
    expect(await other.find(r.id)).toBeNull();
    await expect(other.insert(r)).resolves.toBeUndefined();
  });

  it('refuses a duplicate id with a store error, whatever its case, as PostgreSQL’s uuid does', async () => {
    const store = createMemorySessionStore();
    const r = record();
    await store.insert(r);
    const error = await store.insert({ ...r, id: r.id.toUpperCase() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KitError);
    expect((error as KitError).code).toBe('ERR_STORE_FAILURE');
    expect((await store.find(r.id.toUpperCase()))?.id).toBe(r.id);
  });

  it('fails the check of a released purge lock, and frees the lock for the next taker', async () => {
    const store = createMemorySessionStore();
    const lock = await store.lockPurge!();
    await lock!.release();
    const error = await lock!.check().catch((e: unknown) => e);
    expect((error as KitError).code).toBe('ERR_STORE_UNAVAILABLE');
    const next = await store.lockPurge!();
    await lock!.release(); // a stale release does not free the next holder's lock
    expect(await store.lockPurge!()).toBeNull();
    await next!.release();
  });
});
