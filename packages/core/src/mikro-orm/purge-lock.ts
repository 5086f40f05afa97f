import type { MikroORM } from '@mikro-orm/postgresql';
import type { PurgeLock } from '../store/session-store.ts';
import { toStoreError } from './errors.ts';
import { leaseConnection } from './pooled-connection.ts';

/**
 * Takes the purge lock of the database of `orm`: `pg_try_advisory_xact_lock` in a transaction of
 * its own, on a connection of its own, opened with the pool's settings but outside the pool and
 * closed at `release`. Resolves with `null` at once when another holder has it.
 *
 * Why a transaction-scoped lock held by an otherwise idle transaction:
 *
 * - A session-level advisory lock does not survive a pooler in transaction mode (PgBouncer,
 *   Supavisor, RDS Proxy): the server connection goes to another client after each transaction,
 *   lock included. A transaction keeps its server connection, and its lock ends with it.
 * - The batches do not run in that transaction: each `purge` call commits on its own connection, so
 *   no row stays locked beyond its own short statement. The lock transaction touches no row and,
 *   under READ COMMITTED with no statement running, holds no snapshot that would hold back vacuum.
 * - Taking the lock per batch instead would let a second instance start between two batches of a
 *   run; a lease row with an expiry would need a table and would block a crashed holder's
 *   successors until it expires. Here a crashed holder's connection closes and PostgreSQL ends its
 *   transaction and lock at once; a holder that hangs is ended by
 *   `idle_in_transaction_session_timeout` (`idleTimeoutMs`), set for this transaction only.
 *
 * The run needs two connections at once, the lock's and a batch's. The lock's is not taken from
 * the pool: with `poolSize: 1` (common on serverless platforms) it would hold the pool's only
 * connection, and every batch would wait for it until `acquireConnectionTimeout` and fail, run
 * after run. Outside the pool, the purge works at any pool size, and a run costs one connection
 * setup; an instance that prunes opens at most `poolSize + 1` connections.
 *
 * @internal
 */
export async function lockPurge(
  orm: MikroORM,
  { idleTimeoutMs }: { idleTimeoutMs: number },
): Promise<PurgeLock | null> {
  const lease = await leaseConnection(orm, 'lockPurge', { dedicated: true });
  const { connection } = lease;
  let released = false;
  async function release(error?: unknown): Promise<void> {
    if (released) return;
    released = true;
    // Closes the connection (a Terminate message, or a reset after a read timeout): PostgreSQL
    // ends its transaction and so the lock.
    await lease.release(error);
  }
  try {
    await connection.query({ text: 'begin', values: [] });
    // SET LOCAL takes no bind parameter; set_config(..., true) is the same, for this transaction.
    await connection.query({
      text: `select set_config('idle_in_transaction_session_timeout', $1, true)`,
      values: [`${idleTimeoutMs}ms`],
    });
    const result = await connection.query({
      text: `select pg_try_advisory_xact_lock(hashtext('kit_sessions_purge')) as locked`,
      values: [],
    });
    if (result.rows[0]?.locked !== true) {
      await release();
      return null;
    }
  } catch (error) {
    await release(error);
    throw toStoreError(error, 'lockPurge');
  }
  return {
    async check() {
      if (released)
        throw toStoreError(new Error('Connection terminated: the purge lock was released'), 'lockPurge');
      try {
        // Also restarts the idle timer.
        await connection.query({ text: 'select 1', values: [] });
      } catch (error) {
        await release(error);
        throw toStoreError(error, 'lockPurge');
      }
    },
    release: () => release(),
  };
}
