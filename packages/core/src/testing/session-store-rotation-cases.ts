import { expect, it } from 'vitest';
import type { SessionRecord, SessionStore } from '../store/session-store.ts';
import { at, DAY, hash, record } from './session-store-records.ts';

/**
 * The conformance cases of writing and rotating one session: insert, find, the compare-and-set of
 * `rotate` (alone, contended, grouped) and `touch`. Called inside the suite's `describe`.
 */
export function rotationCases(getStore: () => SessionStore): void {
  insertCases(getStore);
  rotateCases(getStore);
  groupedRotationCases(getStore);
  dpopBindingCases(getStore);
  touchCases(getStore);
}

/** Insert and find: exactly what went in, copied, once per id. */
function insertCases(getStore: () => SessionStore): void {
  it('inserts and finds a record exactly as given', async () => {
    const store = getStore();
    const r = record({ data: { nested: { list: [1, 'two', null] } }, userAgent: null, ip: null });
    await store.insert(r);
    expect(await store.find(r.id)).toEqual(r);
    expect(await store.find(crypto.randomUUID())).toBeNull();
  });

  it('keeps its own copy of what goes in and comes out', async () => {
    const store = getStore();
    const r = record({ data: { list: [1] } });
    await store.insert(r);
    const stored = structuredClone(r);
    r.data.list = [2];
    r.secretHash.fill(9);
    r.idleExpiresAt.setTime(0);
    const found = await store.find(r.id);
    expect(found).toEqual(stored);
    (found!.data.list as number[]).push(3);
    found!.secretHash.fill(8);
    found!.absoluteExpiresAt.setTime(0);
    expect(await store.find(r.id)).toEqual(stored);
  });

  it('rejects a second insert with the same id', async () => {
    const store = getStore();
    const r = record();
    await store.insert(r);
    await expect(store.insert({ ...r, userId: 'someone-else' })).rejects.toBeTruthy();
    expect((await store.find(r.id))?.userId).toBe(r.userId);
  });
}

/** The compare-and-set of `rotate`, alone and contended. */
function rotateCases(getStore: () => SessionStore): void {
  it('rotates only with the matching generation and hash, once', async () => {
    const store = getStore();
    const r = record();
    await store.insert(r);
    const base = { id: r.id, nextSecretHash: hash(2), now: at(1000), idleExpiresAt: at(1000 + 30 * DAY) };
    expect(await store.rotate({ ...base, generation: 1, secretHash: hash(1) })).toBeNull();
    expect(await store.rotate({ ...base, generation: 0, secretHash: hash(9) })).toBeNull();
    const rotated = await store.rotate({
      ...base,
      generation: 0,
      secretHash: hash(1),
      userAgent: 'new agent',
    });
    expect(rotated).toMatchObject({
      generation: 1,
      secretHash: hash(2),
      rotatedAt: at(1000),
      lastRefreshedAt: at(1000),
      idleExpiresAt: at(1000 + 30 * DAY),
      userAgent: 'new agent',
      ip: '127.0.0.1',
    });
    expect(await store.rotate({ ...base, generation: 0, secretHash: hash(1) })).toBeNull();
    expect(await store.find(r.id)).toEqual(rotated);
  });

  it('gives exactly one winner among concurrent rotations of one generation', async () => {
    const store = getStore();
    const r = record();
    await store.insert(r);
    const results = await Promise.all(
      Array.from({ length: 25 }, () =>
        store.rotate({
          id: r.id,
          generation: 0,
          secretHash: hash(1),
          nextSecretHash: hash(2),
          now: at(5000),
          idleExpiresAt: at(5000 + DAY),
        }),
      ),
    );
    expect(results.filter((x) => x !== null)).toHaveLength(1);
    expect((await store.find(r.id))?.generation).toBe(1);
  });

  it('never rotates a revoked or expired session', async () => {
    const store = getStore();
    const revoked = record();
    await store.insert(revoked);
    await store.revoke(revoked.id, { reason: 'test', now: at(0) });
    const expired = record({ idleExpiresAt: at(10), absoluteExpiresAt: at(DAY) });
    await store.insert(expired);
    const pastAbsolute = record({ idleExpiresAt: at(DAY), absoluteExpiresAt: at(DAY) });
    await store.insert(pastAbsolute);
    const input = {
      generation: 0,
      secretHash: hash(1),
      nextSecretHash: hash(2),
      idleExpiresAt: at(2 * DAY),
    };
    expect(await store.rotate({ ...input, id: revoked.id, now: at(1) })).toBeNull();
    expect(await store.rotate({ ...input, id: expired.id, now: at(10) })).toBeNull();
    expect(await store.rotate({ ...input, id: pastAbsolute.id, now: at(DAY) })).toBeNull();
  });

  it('caps the slid idle expiry at the absolute expiry', async () => {
    const store = getStore();
    const r = record({ absoluteExpiresAt: at(DAY) });
    await store.insert(r);
    const rotated = await store.rotate({
      id: r.id,
      generation: 0,
      secretHash: hash(1),
      nextSecretHash: hash(2),
      now: at(1),
      idleExpiresAt: at(10 * DAY),
    });
    expect(rotated?.idleExpiresAt).toEqual(at(DAY));
  });
}

/** Concurrent rotations of many sessions, which a store may send together. */
function groupedRotationCases(getStore: () => SessionStore): void {
  it('decides each of many concurrent rotations of different sessions on its own', async () => {
    const store = getStore();
    // Stores may group concurrent rotations (one statement for many sessions): each input must
    // still match or not exactly as it would alone, and get its own session's row back.
    const live = Array.from({ length: 12 }, (_, i) => record({ secretHash: hash(10 + i) }));
    const revoked = record();
    const expired = record({ idleExpiresAt: at(10), absoluteExpiresAt: at(DAY) });
    for (const r of [...live, revoked, expired]) await store.insert(r);
    await store.revoke(revoked.id, { reason: 'test', now: at(0) });
    const rotation = (r: SessionRecord, overrides: Partial<Parameters<SessionStore['rotate']>[0]> = {}) =>
      store.rotate({
        id: r.id,
        generation: 0,
        secretHash: r.secretHash,
        nextSecretHash: hash(200),
        now: at(100),
        idleExpiresAt: at(100 + DAY),
        ...overrides,
      });
    const [good, stale, wrongHash, twice, agent, ...rest] = live as [SessionRecord, ...SessionRecord[]];
    const results = await Promise.all([
      ...live.slice(5).map((r, i) => rotation(r, { nextSecretHash: hash(100 + i) })),
      rotation(good!),
      rotation(stale!, { generation: 1 }),
      rotation(wrongHash!, { secretHash: hash(99) }),
      rotation(twice!),
      rotation(twice!),
      rotation(agent!, { userAgent: 'other agent', ip: '10.0.0.1' }),
      rotation(revoked, { now: at(1) }),
      rotation(expired, { now: at(10) }),
      rotation(record()),
    ]);
    const [goodResult, staleResult, wrongResult, twiceA, twiceB, agentResult, ...others] = results.slice(
      rest.length,
    );
    results.slice(0, rest.length).forEach((result, i) => {
      expect(result).toMatchObject({ id: rest[i]!.id, generation: 1, secretHash: hash(100 + i) });
    });
    expect(goodResult).toMatchObject({ id: good!.id, generation: 1, secretHash: hash(200) });
    expect(staleResult).toBeNull();
    expect(wrongResult).toBeNull();
    expect([twiceA, twiceB].filter((x) => x !== null)).toEqual([
      expect.objectContaining({ id: twice!.id, generation: 1 }),
    ]);
    expect(agentResult).toMatchObject({ id: agent!.id, userAgent: 'other agent', ip: '10.0.0.1' });
    expect(others).toEqual([null, null, null]);
    expect((await store.find(stale!.id))?.generation).toBe(0);
    expect((await store.find(wrongHash!.id))?.generation).toBe(0);
    expect((await store.find(twice!.id))?.generation).toBe(1);
    expect((await store.find(revoked.id))?.generation).toBe(0);
  });
}

/** Two RFC 7638 thumbprints (43 characters of base64url) of different keys. */
const KEY_A = `${'A'.repeat(42)}a`;
const KEY_B = `${'B'.repeat(42)}b`;

/** The DPoP binding (`dpopJkt`): stored as given, never changed, part of `rotate`'s compare-and-set. */
function dpopBindingCases(getStore: () => SessionStore): void {
  const rotation = (r: SessionRecord, dpopJkt?: string | null) => ({
    id: r.id,
    generation: 0,
    secretHash: r.secretHash,
    nextSecretHash: hash(2),
    now: at(1000),
    idleExpiresAt: at(1000 + DAY),
    ...(dpopJkt === undefined ? {} : { dpopJkt }),
  });

  it('keeps the DPoP key a session is bound to, through every change', async () => {
    const store = getStore();
    const bound = record({ dpopJkt: KEY_A });
    await store.insert(bound);
    expect(await store.find(bound.id)).toEqual(bound);
    expect(await store.rotate(rotation(bound, KEY_A))).toMatchObject({ generation: 1, dpopJkt: KEY_A });
    expect(
      await store.touch({
        id: bound.id,
        generation: 1,
        secretHash: hash(2),
        now: at(2000),
        idleExpiresAt: at(DAY),
      }),
    ).toMatchObject({ dpopJkt: KEY_A });
    expect(await store.updateData(bound.id, { b: 2 })).toMatchObject({ dpopJkt: KEY_A });
    expect((await store.list(bound.userId, { status: 'active', now: at(3000), limit: 10 }))[0]).toMatchObject(
      { dpopJkt: KEY_A },
    );
    expect(await store.revoke(bound.id, { reason: 'test', now: at(4000) })).toMatchObject({ dpopJkt: KEY_A });
    const bearer = record();
    await store.insert(bearer);
    expect((await store.find(bearer.id))?.dpopJkt).toBeNull();
  });

  it('rotates a bound session only with its own key, and a Bearer session with any or none', async () => {
    const store = getStore();
    const bound = record({ dpopJkt: KEY_A });
    const bearer = record();
    await store.insert(bound);
    await store.insert(bearer);
    expect(await store.rotate(rotation(bound))).toBeNull();
    expect(await store.rotate(rotation(bound, null))).toBeNull();
    expect(await store.rotate(rotation(bound, KEY_B))).toBeNull();
    expect(await store.find(bound.id)).toEqual(bound);
    expect(await store.rotate(rotation(bound, KEY_A))).toMatchObject({ generation: 1, dpopJkt: KEY_A });
    // A proof never binds a Bearer session.
    expect(await store.rotate(rotation(bearer, KEY_B))).toMatchObject({ generation: 1, dpopJkt: null });
  });

  it('decides the binding of each of many concurrent rotations on its own', async () => {
    const store = getStore();
    const sessions = Array.from({ length: 8 }, (_, i) =>
      record({ secretHash: hash(30 + i), dpopJkt: i % 2 === 0 ? KEY_A : null }),
    );
    for (const r of sessions) await store.insert(r);
    // Bound sessions: right key, wrong key, no proof, right key; Bearer ones: any.
    const given = [KEY_A, KEY_A, KEY_B, KEY_B, null, null, KEY_A, undefined] as const;
    const results = await Promise.all(sessions.map((r, i) => store.rotate(rotation(r, given[i]))));
    expect(results.map((result) => result?.generation ?? null)).toEqual([1, 1, null, 1, null, 1, 1, 1]);
    expect(results.map((result) => result?.dpopJkt ?? null)).toEqual([
      KEY_A,
      null,
      null,
      null,
      null,
      null,
      KEY_A,
      null,
    ]);
  });
}

/** The compare-and-set of `touch` (a grace answer confirmed). */
function touchCases(getStore: () => SessionStore): void {
  it('touches only the exact live state, and a revocation wins', async () => {
    const store = getStore();
    const r = record({ generation: 0 });
    await store.insert(r);
    const base = { id: r.id, now: at(1000), idleExpiresAt: at(1000 + DAY) };
    expect(await store.touch({ ...base, generation: 1, secretHash: hash(1) })).toBeNull();
    expect(await store.touch({ ...base, generation: 0, secretHash: hash(7) })).toBeNull();
    const touched = await store.touch({ ...base, generation: 0, secretHash: hash(1) });
    expect(touched).toMatchObject({
      generation: 0,
      secretHash: hash(1),
      lastRefreshedAt: at(1000),
      idleExpiresAt: at(1000 + DAY),
    });
    await store.revoke(r.id, { reason: 'x', now: at(2000) });
    expect(await store.touch({ ...base, generation: 0, secretHash: hash(1), now: at(3000) })).toBeNull();
    const expired = record({ idleExpiresAt: at(10) });
    await store.insert(expired);
    expect(
      await store.touch({
        id: expired.id,
        generation: 0,
        secretHash: hash(1),
        now: at(10),
        idleExpiresAt: at(DAY),
      }),
    ).toBeNull();
  });
}
