import { KitInvalidInputError } from './errors.ts';
import type { SessionStore } from './store/session-store.ts';

/**
 * Deletes sessions that were revoked, or whose idle or absolute expiry passed, before `before`,
 * walking the store in batches of `batchSize` rows so no statement runs long. Stops between
 * batches when `signal` aborts. Returns how many sessions were deleted.
 *
 * Exported from `@kit/core`. `kit.sessions.purgeExpired()` and the CLI's `kit prune` use it.
 *
 * @default batchSize 1000
 * @example
 * ```ts
 * import { purgeSessions } from '@kit/core';
 *
 * const week = 7 * 86_400_000;
 * const deleted = await purgeSessions(store, { before: new Date(Date.now() - week) });
 * ```
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
  let deleted = 0;
  let cursor: string | undefined;
  do {
    if (options.signal?.aborted) break;
    const batch = await store.purge({ before: options.before, limit: batchSize, after: cursor });
    deleted += batch.deleted;
    cursor = batch.cursor ?? undefined;
  } while (cursor !== undefined);
  return deleted;
}
