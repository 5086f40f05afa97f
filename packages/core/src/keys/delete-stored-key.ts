import { KitInvalidInputError, KitKeyInUseError, KitKeyNotFoundError } from '../errors.ts';
import type { SigningKeyStore, StoredSigningKey } from './key-store.ts';
import { RETIRED_KEY_MARGIN_SECONDS } from './retired-key-margin.ts';

/**
 * Options of {@link deleteStoredKey}.
 */
export interface DeleteStoredKeyOptions {
  store: SigningKeyStore;
  /** The `kid` of the key to delete. */
  kid: string;
  /**
   * The longest access-token lifetime of any instance, in seconds: a retired key's last token
   * expires this long after the key stopped signing.
   */
  accessTokenTtl: number;
  /** @default Date.now */
  clock?: () => number;
  /**
   * Delete the key even though tokens it signed may still be live (they stop verifying): for a key
   * that leaked. Still refused when an older key would take over signing.
   * @default false
   */
  force?: boolean;
}

/** What {@link deleteStoredKey} deleted. */
export interface DeletedKey {
  kid: string;
  /** When the key stopped signing (its successor's activation), or `null` for a key deleted by force before that. */
  retiredAt: Date | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The key signing at `now`: the last one activated, or the first when none is yet. */
function signerAt(rows: readonly StoredSigningKey[], now: number): StoredSigningKey | undefined {
  let chosen = rows[0];
  for (const row of rows) if (row.activatesAt.getTime() <= now) chosen = row;
  return chosen;
}

/** Where a stored key is in its life at a given time (`kit keys list`). @internal */
export interface StoredKeyState {
  kid: string;
  alg: string;
  activatesAt: Date;
  /** `signing` now, published `ahead` of signing, `retired` but possibly needed, or `deletable`. */
  state: 'signing' | 'ahead' | 'retired' | 'deletable';
  /** When its successor started signing, if it has. */
  retiredAt: Date | null;
  /** From when {@link deleteStoredKey} accepts it without `force`, when known. */
  deletableFrom: Date | null;
}

/** The stored keys in activation order, each with its state at `now`. @internal */
export function describeStoredKeys(
  rows: readonly StoredSigningKey[],
  { now, accessTokenTtl }: { now: number; accessTokenTtl: number },
): StoredKeyState[] {
  const sorted = [...rows].sort(
    (a, b) => a.activatesAt.getTime() - b.activatesAt.getTime() || (a.kid < b.kid ? -1 : 1),
  );
  const signer = signerAt(sorted, now);
  return sorted.map((row, index) => {
    const successor = sorted[index + 1];
    const retiredMs =
      successor && successor.activatesAt.getTime() <= now ? successor.activatesAt.getTime() : null;
    const freeMs =
      retiredMs === null ? null : retiredMs + (accessTokenTtl + RETIRED_KEY_MARGIN_SECONDS) * 1000;
    const state =
      row === signer ? 'signing' : retiredMs === null ? 'ahead' : now < freeMs! ? 'retired' : 'deletable';
    return {
      kid: row.kid,
      alg: row.alg,
      activatesAt: row.activatesAt,
      state,
      retiredAt: retiredMs === null ? null : new Date(retiredMs),
      deletableFrom: freeMs === null ? null : new Date(freeMs),
    };
  });
}

/**
 * Deletes a retired signing key from the key store once no live token can need it, under the
 * store's lock (so it cannot race a rotation). The rotation model (docs/keys.md): a key retires
 * when the next key activates, and every token it signed has expired `accessTokenTtl` later; the
 * kit keeps it published for 60 s more (verifiers' clock tolerance and skew between instances).
 * Deleting is refused, with `ERR_KEY_IN_USE` and a message saying why and from when it is allowed,
 * for the key signing now, a key published ahead of signing, and a key retired less than
 * `accessTokenTtl` + 60 s ago; an unknown `kid` rejects with `ERR_KEY_NOT_FOUND`. Nothing about the
 * key's material is read or reported. Instances drop the key from their JWKS at their next reload.
 *
 * The kit prunes retired keys by itself a day after they leave the JWKS (at its next rotation);
 * this is for doing it now, or with `force` for a key that leaked (see docs/security.md).
 *
 * @internal Reached through `kit.keys.delete(kid)` and `kit keys delete --kid KID`.
 */
export async function deleteStoredKey(options: DeleteStoredKeyOptions): Promise<DeletedKey> {
  const { store, kid, accessTokenTtl } = options;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) {
    throw new KitInvalidInputError('`kid` must be the kid of a stored signing key (1 to 128 characters).');
  }
  if (!Number.isSafeInteger(accessTokenTtl) || accessTokenTtl < 1) {
    throw new KitInvalidInputError('`accessTokenTtl` must be a whole number of seconds above 0.');
  }
  const clock = options.clock ?? Date.now;
  return store.exclusive(async (tx) => {
    const now = clock();
    const rows = (await tx.list()).sort(
      (a, b) => a.activatesAt.getTime() - b.activatesAt.getTime() || (a.kid < b.kid ? -1 : 1),
    );
    const index = rows.findIndex((row) => row.kid === kid);
    const row = rows[index];
    if (!row) throw new KitKeyNotFoundError();
    const { state, retiredAt, deletableFrom } = describeStoredKeys(rows, { now, accessTokenTtl })[index]!;
    const retiredMs = retiredAt?.getTime() ?? null;
    const signer = signerAt(rows, now);

    if (options.force) {
      // Deleting a key must never hand signing back to an older one.
      const rest = rows.filter((r) => r !== row);
      const next = signerAt(rest, now);
      if (row === signer && next && next.activatesAt.getTime() < row.activatesAt.getTime()) {
        throw new KitKeyInUseError(
          `Deleting key ${kid} would make the older key ${next.kid} sign again. Rotate first (kit keys rotate), then delete the older keys, oldest first, then this one.`,
        );
      }
    } else if (state === 'signing') {
      throw new KitKeyInUseError(
        `Key ${kid} is signing now. Rotate first (kit keys rotate); once the next key has signed for the access-token lifetime + ${RETIRED_KEY_MARGIN_SECONDS} s, this one can go.`,
      );
    } else if (state === 'ahead') {
      throw new KitKeyInUseError(
        `Key ${kid} is published ahead of signing, from ${iso(row.activatesAt.getTime())}; it is not retired.`,
      );
    } else if (state === 'retired') {
      throw new KitKeyInUseError(
        `Key ${kid} retired at ${iso(retiredMs!)}; tokens it signed may be live until ${iso(retiredMs! + accessTokenTtl * 1000)}. It can be deleted from ${iso(deletableFrom!.getTime())}.`,
      );
    }
    await tx.delete([kid]);
    return { kid, retiredAt: retiredMs === null ? null : new Date(retiredMs) };
  });
}
