import { KitKeyInvalidError } from '../errors.ts';
import type { KeyRingOptions } from './key-ring.ts';
import type { SigningKeyStoreTransaction, StoredSigningKey } from './key-store.ts';
import { type KeyWrapper, keyAad } from './key-wrap.ts';
import { generateSigningKeys, importSigningKeys } from './signing-keys.ts';

/** A day: how long a key stays in the store after it left the JWKS. */
const KEEP_AFTER_RETIREMENT_MS = 86_400_000;

/** What the maintenance of the stored keys needs from the key ring. @internal */
export interface KeyMaintenance {
  options: Pick<KeyRingOptions, 'algorithm' | 'rotateEvery' | 'leadTime' | 'clock'>;
  /** The secret new and re-encrypted keys are wrapped under. */
  current: KeyWrapper;
  /** Every accepted secret by id. */
  byId: ReadonlyMap<string, KeyWrapper>;
  /** Milliseconds a key stays published after its successor starts signing (TTL + margin). */
  retireAfterMs: number;
  /** Imports a stored row; fails with `ERR_KEY_INVALID` on a row under a secret not in `byId`. */
  decrypt(row: StoredSigningKey): Promise<unknown>;
}

/** A stored row's private key in the clear; a row that fails to decrypt is `ERR_KEY_INVALID`. */
export async function unwrap(wrapper: KeyWrapper, row: StoredSigningKey): Promise<Uint8Array> {
  try {
    return await wrapper.decrypt(row.encryptedKey, keyAad(row.kid, row.alg));
  } catch (cause) {
    throw new KitKeyInvalidError(
      'A stored signing key could not be decrypted (wrong secret or altered row).',
      { cause },
    );
  }
}

/**
 * When each key stops being needed, for activation times in ascending order: its successor's
 * activation + TTL + margin; the newest key never.
 */
export function removalTimes(activations: readonly number[], retireAfterMs: number): number[] {
  return activations.map((_, i) =>
    i + 1 < activations.length ? activations[i + 1]! + retireAfterMs : Infinity,
  );
}

async function newRow(ring: KeyMaintenance, activatesAt: number, now: number): Promise<StoredSigningKey> {
  const jwk = (await generateSigningKeys({ alg: ring.options.algorithm })).keys[0]!;
  const { kid, alg } = jwk;
  const plaintext = new TextEncoder().encode(JSON.stringify(jwk));
  const encryptedKey = await ring.current.encrypt(plaintext, keyAad(kid, alg));
  plaintext.fill(0);
  const set = await importSigningKeys({ keys: [jwk] });
  return {
    kid,
    alg,
    publicJwk: set.current.publicJwk,
    encryptedKey,
    secretId: ring.current.id,
    createdAt: new Date(now),
    activatesAt: new Date(activatesAt),
  };
}

/** The key to create now, if any: the first one, a forced one, or the scheduled next one. */
async function keyDue(
  ring: KeyMaintenance,
  newest: StoredSigningKey | undefined,
  force: boolean,
  now: number,
): Promise<StoredSigningKey | undefined> {
  const { leadTime, rotateEvery } = ring.options;
  if (newest === undefined) {
    // A new store: nothing was published, so no verifier can hold a stale set; the first key signs
    // at once. (After every row was deleted by hand, verifiers refetch on its unknown kid.)
    return newRow(ring, now, now);
  }
  const newestAt = newest.activatesAt.getTime();
  if (force) return newRow(ring, Math.max(now + leadTime * 1000, newestAt + 1000), now);
  if (rotateEvery === false) return undefined;
  const due = newestAt + rotateEvery * 1000;
  // Only when no key is already waiting, and early enough to publish it a lead time ahead.
  if (newestAt <= now && due - leadTime * 1000 <= now) {
    return newRow(ring, Math.max(due, now + leadTime * 1000), now);
  }
  return undefined;
}

/**
 * Under the store's lock: creates the first key, the scheduled next key, or (with `force`) a new
 * key; re-encrypts rows under the current secret; deletes rows gone from the JWKS for a day.
 * Returns the key it created, if any.
 *
 * @internal
 */
export async function maintainKeys(
  ring: KeyMaintenance,
  tx: SigningKeyStoreTransaction,
  force: boolean,
): Promise<StoredSigningKey | undefined> {
  const now = ring.options.clock();
  let rows = await tx.list();
  // Fail loudly on a foreign secret before writing anything.
  for (const row of rows) {
    if (!ring.byId.has(row.secretId)) await ring.decrypt(row);
  }
  const byActivation = (list: StoredSigningKey[]) =>
    [...list].sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
  const created = await keyDue(ring, byActivation(rows).at(-1), force, now);
  if (created) {
    await tx.insert(created);
    rows = [...rows, created];
  }
  for (const row of rows) {
    if (row.secretId !== ring.current.id) {
      const plaintext = await unwrap(ring.byId.get(row.secretId)!, row);
      const rewrapped = await ring.current.encrypt(plaintext, keyAad(row.kid, row.alg));
      plaintext.fill(0);
      await tx.rewrap(row.kid, rewrapped, ring.current.id);
    }
  }
  const ordered = byActivation(rows);
  const removal = removalTimes(
    ordered.map((r) => r.activatesAt.getTime()),
    ring.retireAfterMs,
  );
  const stale = ordered.filter((_, i) => removal[i]! + KEEP_AFTER_RETIREMENT_MS <= now).map((r) => r.kid);
  if (stale.length > 0) await tx.delete(stale);
  return created;
}
