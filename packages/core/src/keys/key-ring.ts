import { KitKeyInvalidError } from '../errors.ts';
import type { SigningAlgorithm } from './algorithms.ts';
import { type DeletedKey, deleteStoredKey } from './delete-stored-key.ts';
import type { SigningKeyStore, SigningKeyStoreTransaction, StoredSigningKey } from './key-store.ts';
import { createKeyWrapper, type KeyWrapper, keyAad } from './key-wrap.ts';
import { RETIRED_KEY_MARGIN_SECONDS } from './retired-key-margin.ts';
import {
  generateSigningKeys,
  importSigningKeys,
  type PublicJwk,
  type SigningKey,
  type SigningKeySet,
} from './signing-keys.ts';

/**
 * Where the kit's signing keys come from at any instant: a fixed set (`KIT_SIGNING_KEYS`) or the
 * database key store. Synchronous reads, so `kit.jwks()` and signing never wait for I/O.
 *
 * @internal
 */
export interface KeyProvider {
  /** The key that signs at `nowMs`. */
  signingKey(nowMs: number): SigningKey;
  /** The public JWKS at `nowMs`: the signing key first, then keys published ahead or still needed. */
  publicJwks(nowMs: number): { keys: PublicJwk[] };
  /** Changes whenever the set of published keys may have changed (for verifier caches). */
  version(nowMs: number): string;
  /** Loads the store again now (no-op for a fixed set). */
  refresh(): Promise<void>;
  /** Stores a new key that signs after the pre-publication lead; returns its kid and activation. */
  rotate(): Promise<{ kid: string; activatesAt: Date }>;
  /**
   * Deletes a retired key no live token can need (or, with `force`, a leaked one) from the store,
   * then reloads. Refused for a fixed set.
   */
  delete(kid: string, options?: { force?: boolean }): Promise<DeletedKey>;
  /** Stops background work. */
  close(): void;
  /**
   * Whether the held keys may be out of date at `nowMs`: a key store not read for longer than the
   * lead time of a rotation (another instance's new key could be signing without this one having
   * seen it). Always `false` for a fixed set.
   */
  stale(nowMs: number): boolean;
}

/** A fixed key set: the first key signs, every key is published. @internal */
export function staticKeyProvider(set: SigningKeySet): KeyProvider {
  const jwks = set.publicJwks();
  const version = set.keys.map((k) => k.kid).join(',');
  return {
    signingKey: () => set.current,
    publicJwks: () => ({ keys: jwks.keys.map((k) => ({ ...k })) }),
    version: () => version,
    refresh: async () => {},
    rotate: async () => {
      throw new KitKeyInvalidError(
        'Signing keys come from `signingKeys` (KIT_SIGNING_KEYS): rotate them by publishing the new key second, then first. Use `keyStore` for automatic rotation.',
      );
    },
    delete: async () => {
      throw new KitKeyInvalidError(
        'Signing keys come from `signingKeys` (KIT_SIGNING_KEYS): remove the key from it and deploy, `accessTokenTtl` + 60 s after it stopped signing.',
      );
    },
    close: () => {},
    stale: () => false,
  };
}

export { RETIRED_KEY_MARGIN_SECONDS } from './retired-key-margin.ts';

/** Settled options of a key ring. @internal */
export interface KeyRingOptions {
  store: SigningKeyStore;
  /** Current secret first, then previous ones still accepted. */
  secrets: readonly Uint8Array[];
  algorithm: SigningAlgorithm;
  /** Seconds between scheduled rotations, or `false`. */
  rotateEvery: number | false;
  /** Seconds a new key is published before it signs (≥ jwksMaxAge + refreshInterval). */
  leadTime: number;
  /** Seconds between reloads from the store. */
  refreshInterval: number;
  accessTokenTtl: number;
  clock: () => number;
  /** Reports a failed background reload or rotation (never with key material). */
  onError: (error: unknown) => void;
}

interface Entry {
  kid: string;
  activatesAt: number;
  createdAt: number;
  key: SigningKey;
}

/** A stored row's private key in the clear; a row that fails to decrypt is `ERR_KEY_INVALID`. */
async function unwrap(wrapper: KeyWrapper, row: StoredSigningKey): Promise<Uint8Array> {
  try {
    return await wrapper.decrypt(row.encryptedKey, keyAad(row.kid, row.alg));
  } catch (cause) {
    throw new KitKeyInvalidError(
      'A stored signing key could not be decrypted (wrong secret or altered row).',
      {
        cause,
      },
    );
  }
}

/**
 * The database key store's in-memory side: loads and decrypts keys, creates the first one, rotates
 * on schedule and on demand, and answers `signingKey`/`publicJwks` from memory.
 *
 * Timeline of one rotation (L = lead time, T = access-token TTL, m = 60 s margin):
 *
 * - `t0`: the new key is stored with `activatesAt = t0 + L` and is published from the next reload
 *   of each instance (at most `refreshInterval` later).
 * - `t0 + L`: every instance switches to it by its own clock (each already holds it); the old key
 *   stops signing.
 * - `t0 + L + T + m`: the old key leaves the JWKS; its last token expired at `t0 + L + T`.
 *
 * @internal
 */
export async function createKeyRing(options: KeyRingOptions): Promise<KeyProvider> {
  const wrappers = await Promise.all(options.secrets.map((s) => createKeyWrapper(s)));
  const current = wrappers[0]!;
  const byId = new Map<string, KeyWrapper>();
  for (const wrapper of wrappers) if (!byId.has(wrapper.id)) byId.set(wrapper.id, wrapper);
  const imported = new Map<string, Entry>();
  let entries: Entry[] = [];
  let closed = false;
  /** When the store was last read successfully (the instance's clock). */
  let loadedAt = Number.NEGATIVE_INFINITY;

  const retireAfterMs = (options.accessTokenTtl + RETIRED_KEY_MARGIN_SECONDS) * 1000;

  async function decrypt(row: StoredSigningKey): Promise<Entry> {
    const known = imported.get(row.kid);
    if (known && known.activatesAt === row.activatesAt.getTime()) return known;
    const wrapper = byId.get(row.secretId);
    if (!wrapper) {
      throw new KitKeyInvalidError(
        'The key store holds signing keys encrypted under a KIT_SECRET this instance does not have. Every instance on one database must use the same `secret` (add the old one to `previousSecrets` while rotating it).',
      );
    }
    const plaintext = await unwrap(wrapper, row);
    let set: SigningKeySet;
    try {
      const jwk = JSON.parse(new TextDecoder().decode(plaintext));
      set = await importSigningKeys({ keys: [{ ...jwk, kid: row.kid, alg: row.alg, use: 'sig' }] });
    } finally {
      plaintext.fill(0);
    }
    const entry: Entry = {
      kid: row.kid,
      activatesAt: row.activatesAt.getTime(),
      createdAt: row.createdAt.getTime(),
      key: set.current,
    };
    imported.set(row.kid, entry);
    return entry;
  }

  async function load(rows: StoredSigningKey[]): Promise<void> {
    // Never swap in an empty set: with nothing to sign with, every token and JWKS request fails.
    if (rows.length === 0) throw new KitKeyInvalidError('The key store holds no signing key.');
    const next = await Promise.all(rows.map(decrypt));
    next.sort((a, b) => a.activatesAt - b.activatesAt || (a.kid < b.kid ? -1 : 1));
    for (const kid of imported.keys()) if (!next.some((e) => e.kid === kid)) imported.delete(kid);
    entries = next;
    loadedAt = options.clock();
  }

  async function newRow(activatesAt: number, now: number): Promise<StoredSigningKey> {
    const jwk = (await generateSigningKeys({ alg: options.algorithm })).keys[0]!;
    const { kid, alg } = jwk;
    const plaintext = new TextEncoder().encode(JSON.stringify(jwk));
    const encryptedKey = await current.encrypt(plaintext, keyAad(kid, alg));
    plaintext.fill(0);
    const set = await importSigningKeys({ keys: [jwk] });
    return {
      kid,
      alg,
      publicJwk: set.current.publicJwk,
      encryptedKey,
      secretId: current.id,
      createdAt: new Date(now),
      activatesAt: new Date(activatesAt),
    };
  }

  /** When a row stops being needed: its successor's activation + TTL + margin. */
  function removalTimes(rows: readonly { activatesAt: number }[]): number[] {
    const sorted = rows.map((r) => r.activatesAt);
    return sorted.map((_, i) => (i + 1 < sorted.length ? sorted[i + 1]! + retireAfterMs : Infinity));
  }

  /**
   * Under the store's lock: creates the first key, the scheduled next key, or (with `force`) a new
   * key; re-encrypts rows under the current secret; deletes rows gone from the JWKS for a day.
   */
  async function maintain(
    tx: SigningKeyStoreTransaction,
    force: boolean,
  ): Promise<StoredSigningKey | undefined> {
    const now = options.clock();
    let rows = await tx.list();
    // Fail loudly on a foreign secret before writing anything.
    for (const row of rows) {
      if (!byId.has(row.secretId)) await decrypt(row);
    }
    let created: StoredSigningKey | undefined;
    const sorted = [...rows].sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
    const newest = sorted.at(-1);
    if (newest === undefined) {
      // A new store: nothing was published, so no verifier can hold a stale set; the first key signs
      // at once. (After every row was deleted by hand, verifiers refetch on its unknown kid.)
      created = await newRow(now, now);
    } else if (force) {
      created = await newRow(
        Math.max(now + options.leadTime * 1000, newest.activatesAt.getTime() + 1000),
        now,
      );
    } else if (options.rotateEvery !== false) {
      const due = newest.activatesAt.getTime() + options.rotateEvery * 1000;
      // Only when no key is already waiting, and early enough to publish it a lead time ahead.
      if (newest.activatesAt.getTime() <= now && due - options.leadTime * 1000 <= now) {
        created = await newRow(Math.max(due, now + options.leadTime * 1000), now);
      }
    }
    if (created) {
      await tx.insert(created);
      rows = [...rows, created];
    }
    for (const row of rows) {
      if (row.secretId !== current.id) {
        const plaintext = await unwrap(byId.get(row.secretId)!, row);
        await tx.rewrap(row.kid, await current.encrypt(plaintext, keyAad(row.kid, row.alg)), current.id);
        plaintext.fill(0);
      }
    }
    const ordered = [...rows].sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
    const removal = removalTimes(ordered.map((r) => ({ activatesAt: r.activatesAt.getTime() })));
    const stale = ordered.filter((_, i) => removal[i]! + 86_400_000 <= now).map((r) => r.kid);
    if (stale.length > 0) await tx.delete(stale);
    return created;
  }

  async function reload(): Promise<void> {
    let rows = await options.store.list();
    if (rows.length === 0) {
      // Every row was deleted by hand (say, after a key leaked): create a new key under the lock,
      // signing at once, as at start, instead of keeping deleted keys or having none.
      await options.store.exclusive((tx) => maintain(tx, false));
      rows = await options.store.list();
    }
    await load(rows);
  }

  async function tick(): Promise<void> {
    const now = options.clock();
    const newest = entries.at(-1);
    const due =
      options.rotateEvery !== false &&
      newest !== undefined &&
      newest.activatesAt <= now &&
      newest.activatesAt + options.rotateEvery * 1000 - options.leadTime * 1000 <= now;
    if (due) await options.store.exclusive((tx) => maintain(tx, false));
    await reload();
  }

  await options.store.exclusive((tx) => maintain(tx, false));
  await reload();
  if (entries.length === 0) throw new KitKeyInvalidError('The key store holds no signing key.');

  let running = false;
  const timer = setInterval(() => {
    if (running || closed) return;
    running = true;
    tick()
      .catch(options.onError)
      .finally(() => {
        running = false;
      });
  }, options.refreshInterval * 1000);
  (timer as { unref?: () => void }).unref?.();

  function signingEntry(nowMs: number): Entry {
    let chosen = entries[0]!;
    for (const entry of entries) if (entry.activatesAt <= nowMs) chosen = entry;
    return chosen;
  }

  function published(nowMs: number): Entry[] {
    const removal = removalTimes(entries);
    return entries.filter((_, i) => nowMs < removal[i]!);
  }

  return {
    signingKey: (nowMs) => signingEntry(nowMs).key,
    publicJwks(nowMs) {
      const signer = signingEntry(nowMs);
      const rest = published(nowMs).filter((e) => e !== signer);
      return { keys: [signer, ...rest].map((e) => ({ ...e.key.publicJwk })) };
    },
    version: (nowMs) =>
      published(nowMs)
        .map((e) => e.kid)
        .join(','),
    refresh: reload,
    async rotate() {
      const created = await options.store.exclusive((tx) => maintain(tx, true));
      await reload();
      return { kid: created!.kid, activatesAt: created!.activatesAt };
    },
    async delete(kid, deleteOptions = {}) {
      const deleted = await deleteStoredKey({
        store: options.store,
        kid,
        accessTokenTtl: options.accessTokenTtl,
        clock: options.clock,
        force: deleteOptions.force === true,
      });
      await reload();
      return deleted;
    },
    close() {
      closed = true;
      clearInterval(timer);
    },
    // A new key is published a lead time before it signs, so a set read within the lead time
    // holds every key that can be signing now.
    stale: (nowMs) => entries.length === 0 || nowMs - loadedAt > options.leadTime * 1000,
  };
}

/**
 * Stores a new signing key that starts signing `leadTime` seconds from now, as `kit keys rotate`
 * does. Running instances pick it up on their next reload.
 *
 * @internal
 */
export async function rotateStoredKeys(options: {
  store: SigningKeyStore;
  secrets: readonly Uint8Array[];
  algorithm: SigningAlgorithm;
  leadTime: number;
  accessTokenTtl: number;
  clock?: () => number;
}): Promise<{ kid: string; activatesAt: Date }> {
  const clock = options.clock ?? Date.now;
  const empty = (await options.store.list()).length === 0;
  const ring = await createKeyRing({
    ...options,
    rotateEvery: false,
    refreshInterval: 3600,
    clock,
    onError: () => {},
  });
  try {
    // On an empty store, starting the ring created the first key (signing at once: nothing was
    // published before it, so no verifier can hold a stale set); that is the rotation.
    if (empty) {
      const now = clock();
      return { kid: ring.signingKey(now).kid, activatesAt: new Date(now) };
    }
    return await ring.rotate();
  } finally {
    ring.close();
  }
}
