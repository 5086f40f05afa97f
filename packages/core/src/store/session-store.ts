/**
 * The storage interface the session engine runs on, with the atomicity contract every
 * implementation must keep. The MikroORM/PostgreSQL store (`@kit/core/mikro-orm`) is the default;
 * `@kit/core/testing` has the conformance suite any other implementation must pass.
 *
 * Times are always passed in by the engine (from its clock), never read from the database's own
 * clock, so expiry is decided by one clock and tests can freeze it.
 *
 * @module
 */

/**
 * One session row as stored. `secretHash` is the SHA-256 of the current refresh token's secret: it
 * cannot be turned into a token.
 */
export interface SessionRecord {
  id: string;
  userId: string;
  clientId: string;
  createdAt: Date;
  lastRefreshedAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  userAgent: string | null;
  ip: string | null;
  data: Record<string, unknown>;
  /** Rotations so far. The current refresh token has this generation. */
  generation: number;
  /** SHA-256 of the current refresh token's secret (32 bytes). */
  secretHash: Uint8Array;
  /** When the current refresh token replaced its parent; `null` before the first rotation. */
  rotatedAt: Date | null;
  /**
   * RFC 7638 thumbprint (SHA-256, base64url: 43 characters) of the DPoP key (RFC 9449) the session
   * is bound to, or `null` for a Bearer session. Set when the session is opened and never changed:
   * a bound session rotates only with a proof signed by that key.
   */
  dpopJkt: string | null;
}

/**
 * Which sessions a listing or count selects, at a given time: `active` (not revoked, neither
 * expiry passed), `expired` (not revoked, an expiry passed), `revoked`, or `all`.
 */
export type SessionStatus = 'active' | 'expired' | 'revoked' | 'all';

/**
 * Input of {@link SessionStore.rotate}.
 */
export interface RotateInput {
  id: string;
  /** Generation of the presented token. */
  generation: number;
  /** SHA-256 of the presented token's secret. */
  secretHash: Uint8Array;
  /** SHA-256 of the successor's secret. */
  nextSecretHash: Uint8Array;
  now: Date;
  /** The slid idle expiry; the store caps it at the absolute expiry. */
  idleExpiresAt: Date;
  /** Latest client details, kept when given (`undefined` leaves the stored value). */
  userAgent?: string | undefined;
  ip?: string | undefined;
  /**
   * Thumbprint of the key whose DPoP proof came with the request, once the proof was verified;
   * `null` or left out when there was none. A session bound to a key (`dpopJkt` not `null`)
   * rotates only when this is that key's thumbprint; a Bearer session rotates whatever it is.
   */
  dpopJkt?: string | null | undefined;
}

/**
 * A purge lock held by this process (see {@link SessionStore.lockPurge}).
 *
 * @example
 * ```ts
 * const lock = await store.lockPurge?.();
 * if (lock) {
 *   try { await lock.check(); } finally { await lock.release(); }
 * }
 * ```
 */
export interface PurgeLock {
  /** Resolves while the lock is still held; rejects when it was lost (its holder timed out or its connection closed). */
  check(): Promise<void>;
  /** Releases the lock. Never rejects. */
  release(): Promise<void>;
}

/**
 * Storage of refresh sessions. One row per session, whatever the number of rotations.
 *
 * **Atomicity contract.** Every method is a single atomic operation on the store:
 *
 * - `rotate` is a compare-and-set: under concurrent invocation with the same `id`, `generation`
 *   and `secretHash`, **exactly one** caller gets the updated record; every other gets `null`
 *   and, on its next `find`, sees the rotated row (generation + 1). It never rotates a revoked or
 *   expired session.
 * - `touch` is a compare-and-set on the same condition, without changing generation or hash.
 * - `revoke`, `revokeByUser`, `updateData`, `updateExpiry` change only rows that satisfy their
 *   condition at the moment of the change, and return exactly what they changed. A revoked
 *   session is never un-revoked.
 * - `purge` examines at most `limit` rows per call and never deletes a row that is not revoked or
 *   expired before `before` at the moment it is deleted (a concurrent revalidation wins).
 */
export interface SessionStore {
  /** Inserts a new session. Rejects if the id exists. */
  insert(record: SessionRecord): Promise<void>;

  /**
   * Rotates the session if, at this instant, it has `generation` and `secretHash`, is not revoked,
   * neither expiry has passed at `now`, and its `dpopJkt` is `null` or equals the input's: sets generation + 1, `nextSecretHash`, `rotatedAt` and
   * `lastRefreshedAt` to `now`, idle expiry to `min(idleExpiresAt, absoluteExpiresAt)`. Returns
   * the updated record, or `null` when nothing matched.
   */
  rotate(input: RotateInput): Promise<SessionRecord | null>;

  /**
   * Confirms a grace answer: if, at this instant, the session has `generation` and `secretHash`,
   * is not revoked and neither expiry has passed at `now`, sets `lastRefreshedAt` to `now` and the
   * idle expiry to `min(idleExpiresAt, absoluteExpiresAt)`, and returns the record; otherwise
   * returns `null`. A revocation that commits first always wins.
   */
  touch(input: {
    id: string;
    generation: number;
    secretHash: Uint8Array;
    now: Date;
    idleExpiresAt: Date;
  }): Promise<SessionRecord | null>;

  /** The session with this id, whatever its state, or `null`. */
  find(id: string): Promise<SessionRecord | null>;

  /** A user's sessions in `status` at `now`, newest first, at most `limit`. */
  list(
    userId: string,
    options: { status: SessionStatus; now: Date; limit: number },
  ): Promise<SessionRecord[]>;

  /** How many sessions of a user are in `status` at `now`. */
  count(userId: string, options: { status: SessionStatus; now: Date }): Promise<number>;

  /**
   * Revokes one session if it is not revoked yet (and belongs to `userId` when given). Returns the
   * revoked record, or `null` when nothing changed.
   */
  revoke(
    id: string,
    options: { reason: string; now: Date; userId?: string | undefined },
  ): Promise<SessionRecord | null>;

  /**
   * Revokes every unrevoked session of a user, except `exceptId` when given. Returns the revoked
   * records.
   */
  revokeByUser(
    userId: string,
    options: { reason: string; now: Date; exceptId?: string | undefined },
  ): Promise<SessionRecord[]>;

  /** Replaces the JSON data of an unrevoked session. Returns the updated record or `null`. */
  updateData(id: string, data: Record<string, unknown>): Promise<SessionRecord | null>;

  /**
   * Sets the expiries of an unrevoked session; a `null` expiry keeps the stored value (read at the
   * moment of the write, so a concurrent rotation's slid idle expiry is kept). With
   * `state: 'active'` only a session that has not expired at `now` changes; with
   * `state: 'expired'` only one that has (revalidation). The idle expiry is capped at the absolute
   * expiry. Returns the updated record or `null`.
   */
  updateExpiry(
    id: string,
    options: {
      idleExpiresAt: Date | null;
      absoluteExpiresAt: Date | null;
      now: Date;
      state: 'active' | 'expired';
    },
  ): Promise<SessionRecord | null>;

  /**
   * Examines up to `limit` sessions in id order after the id `after` (from the start when
   * `undefined`) and deletes those whose revocation, idle expiry or absolute expiry is before
   * `before`. Returns how many were deleted and the cursor to pass as `after` next, or `null` when
   * the end of the table was reached. Walking by id keeps each call's cost bounded by `limit`
   * without an index on expiry columns.
   */
  purge(options: {
    before: Date;
    limit: number;
    after?: string | undefined;
  }): Promise<{ deleted: number; cursor: string | null }>;

  /**
   * Takes the store-wide purge lock, so that one process at a time purges: resolves with the held
   * lock, or with `null` at once (it never waits) when another holder has it. A holder that
   * crashes, or stops calling `check` for longer than the store's own timeout, loses the lock by
   * itself. Purging under it stays a sequence of short `purge` calls; the lock holds no rows.
   * Optional: without it purges are not coordinated (enough for a store one process uses).
   */
  lockPurge?(): Promise<PurgeLock | null>;

  /**
   * Ids of revoked sessions whose last access token may still be live: revoked at or after `since`
   * and last refreshed (an access token minted) at or after `since`. Optional: without it
   * `kit.revocations()` is unavailable. Reads committed rows; order is irrelevant.
   */
  listRevoked?(options: { since: Date }): Promise<string[]>;

  /**
   * Resolves when the store answers a trivial request, and rejects (with `ERR_STORE_UNAVAILABLE`
   * or `ERR_STORE_FAILURE`) when it does not: what a readiness probe asks (`kit.checkReady()`).
   * It must be cheap (one round trip, no row read or written) and must settle within the store's
   * own timeout. Optional: without it `checkReady` reads one nonexistent session with `find`.
   */
  ping?(): Promise<void>;
}
