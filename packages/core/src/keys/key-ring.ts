import { KitKeyInvalidError } from '../errors.ts';
import type { SigningAlgorithm } from './algorithms.ts';
import { type DeletedKey, deleteStoredKey } from './delete-stored-key.ts';
import { type KeyMaintenance, maintainKeys, removalTimes, unwrap } from './key-maintenance.ts';
import type { SigningKeyStore, StoredSigningKey } from './key-store.ts';
import { createKeyWrapper, type KeyWrapper } from './key-wrap.ts';
import { RETIRED_KEY_MARGIN_SECONDS } from './retired-key-margin.ts';
import { importSigningKeys, type PublicJwk, type SigningKey, type SigningKeySet } from './signing-keys.ts';

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

/**
 * The keys an instance holds in memory, decrypted and imported once per stored row (a row whose
 * activation changed is imported again), ordered by activation.
 */
function createKeyCache(byId: ReadonlyMap<string, KeyWrapper>, clock: () => number) {
  const imported = new Map<string, Entry>();
  const cache = {
    entries: [] as Entry[],
    /** When the store was last read successfully (the instance's clock). */
    loadedAt: Number.NEGATIVE_INFINITY,
    async decrypt(row: StoredSigningKey): Promise<Entry> {
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
    },
    async load(rows: StoredSigningKey[]): Promise<void> {
      // Never swap in an empty set: with nothing to sign with, every token and JWKS request fails.
      if (rows.length === 0) throw new KitKeyInvalidError('The key store holds no signing key.');
      const next = await Promise.all(rows.map((row) => cache.decrypt(row)));
      next.sort((a, b) => a.activatesAt - b.activatesAt || (a.kid < b.kid ? -1 : 1));
      for (const kid of imported.keys()) if (!next.some((e) => e.kid === kid)) imported.delete(kid);
      cache.entries = next;
      cache.loadedAt = clock();
    },
  };
  return cache;
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
  const byId = new Map<string, KeyWrapper>();
  for (const wrapper of wrappers) if (!byId.has(wrapper.id)) byId.set(wrapper.id, wrapper);
  const cache = createKeyCache(byId, options.clock);
  const retireAfterMs = (options.accessTokenTtl + RETIRED_KEY_MARGIN_SECONDS) * 1000;
  const maintenance: KeyMaintenance = {
    options,
    current: wrappers[0]!,
    byId,
    retireAfterMs,
    decrypt: (row) => cache.decrypt(row),
  };
  const maintain = (force: boolean) => options.store.exclusive((tx) => maintainKeys(maintenance, tx, force));

  async function reload(): Promise<void> {
    let rows = await options.store.list();
    if (rows.length === 0) {
      // Every row was deleted by hand (say, after a key leaked): create a new key under the lock,
      // signing at once, as at start, instead of keeping deleted keys or having none.
      await maintain(false);
      rows = await options.store.list();
    }
    await cache.load(rows);
  }

  async function tick(): Promise<void> {
    const now = options.clock();
    const newest = cache.entries.at(-1);
    const due =
      options.rotateEvery !== false &&
      newest !== undefined &&
      newest.activatesAt <= now &&
      newest.activatesAt + options.rotateEvery * 1000 - options.leadTime * 1000 <= now;
    if (due) await maintain(false);
    await reload();
  }

  await maintain(false);
  await reload();
  if (cache.entries.length === 0) throw new KitKeyInvalidError('The key store holds no signing key.');
  const stop = every(options.refreshInterval, tick, options.onError);

  function signingEntry(nowMs: number): Entry {
    let chosen = cache.entries[0]!;
    for (const entry of cache.entries) if (entry.activatesAt <= nowMs) chosen = entry;
    return chosen;
  }

  /** When each held key leaves the JWKS (`Infinity` for the newest). */
  const removals = () =>
    removalTimes(
      cache.entries.map((e) => e.activatesAt),
      retireAfterMs,
    );

  function published(nowMs: number): Entry[] {
    const removal = removals();
    return cache.entries.filter((_, i) => nowMs < removal[i]!);
  }

  // The published set changes only when the store is read again (a new `entries` array) or the
  // clock crosses a key's removal time, so its version is made once per change, not on every
  // verification (`kit.verifyAccessToken` asks for it each time). `from` and `until` bound the
  // instants it holds for, in both directions: a clock set back (a test's) computes it again.
  let memo: { entries: readonly Entry[]; from: number; until: number; version: string } | undefined;
  function version(nowMs: number): string {
    if (memo !== undefined && memo.entries === cache.entries && memo.from <= nowMs && nowMs < memo.until) {
      return memo.version;
    }
    let from = Number.NEGATIVE_INFINITY;
    let until = Number.POSITIVE_INFINITY;
    for (const at of removals()) {
      if (at <= nowMs) from = Math.max(from, at);
      else until = Math.min(until, at);
    }
    const kids = published(nowMs).map((e) => e.kid);
    memo = { entries: cache.entries, from, until, version: kids.join(',') };
    return memo.version;
  }

  return {
    signingKey: (nowMs) => signingEntry(nowMs).key,
    publicJwks(nowMs) {
      const signer = signingEntry(nowMs);
      const rest = published(nowMs).filter((e) => e !== signer);
      return { keys: [signer, ...rest].map((e) => ({ ...e.key.publicJwk })) };
    },
    version,
    refresh: reload,
    async rotate() {
      const created = await maintain(true);
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
    close: stop,
    // A new key is published a lead time before it signs, so a set read within the lead time
    // holds every key that can be signing now.
    stale: (nowMs) => cache.entries.length === 0 || nowMs - cache.loadedAt > options.leadTime * 1000,
  };
}

/**
 * Runs `task` every `seconds`, never two at once and never after the returned stop function was
 * called; the timer does not keep the process alive.
 */
function every(seconds: number, task: () => Promise<void>, onError: (error: unknown) => void) {
  let running = false;
  let closed = false;
  const timer = setInterval(() => {
    if (running || closed) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, seconds * 1000);
  (timer as { unref?: () => void }).unref?.();
  return () => {
    closed = true;
    clearInterval(timer);
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
