import { KitInvalidInputError, KitPurgeInProgressError } from './errors.ts';
import type { SessionStore } from './store/session-store.ts';

/**
 * Deletes sessions that were revoked, or whose idle or absolute expiry passed, before `before`,
 * walking the store in batches of `batchSize` rows so no statement runs long. Stops between
 * batches when `signal` aborts. Returns how many sessions were deleted.
 *
 * One purge at a time per database: when the store has a purge lock (`SessionStore.lockPurge`; the
 * MikroORM store does), the whole walk runs under it, each batch still its own short statement,
 * and a purge that finds the lock taken by another instance deletes nothing and rejects with
 * `KitPurgeInProgressError` (`ERR_PURGE_IN_PROGRESS`). The pruner reports that as a skipped run.
 *
 * `kit.sessions.purgeExpired()` and the CLI's `kit prune` use it.
 *
 * @default batchSize 1000
 */
export async function purgeSessions(
  store: SessionStore,
  options: { before: Date; batchSize?: number | undefined; signal?: AbortSignal | undefined },
): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new KitInvalidInputError('`batchSize` must be a whole number from 1 to 100000.');
  }
  if (!(options.before instanceof Date) || !Number.isFinite(options.before.getTime())) {
    throw new KitInvalidInputError('`before` must be a valid Date.');
  }
  const lock = store.lockPurge ? await store.lockPurge() : undefined;
  if (lock === null) throw new KitPurgeInProgressError();
  try {
    let deleted = 0;
    let cursor: string | undefined;
    do {
      if (options.signal?.aborted) break;
      // Still the holder? (A holder that hung past the store's timeout has lost the lock, and
      // another instance may be purging: stop here rather than purge alongside it.)
      if (cursor !== undefined) await lock?.check();
      const batch = await store.purge({ before: options.before, limit: batchSize, after: cursor });
      deleted += batch.deleted;
      cursor = batch.cursor ?? undefined;
    } while (cursor !== undefined);
    return deleted;
  } finally {
    await lock?.release();
  }
}
