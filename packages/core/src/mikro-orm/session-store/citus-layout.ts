import type { MikroORM } from '@mikro-orm/postgresql';
import { isTableDistributed } from '../citus.ts';

/**
 * Whether `table` (`kit_sessions`, `kit_rate_limits`) is distributed (Citus), read once before the
 * first statement that depends on it: `distributed` when the host set it, otherwise Citus's
 * catalogue. A failed read (database down) is not kept: the next call asks again.
 *
 * @internal
 */
export function tableLayout(
  orm: MikroORM,
  table: string,
  distributed: boolean | undefined,
): () => Promise<boolean> {
  let detecting: Promise<boolean> | undefined;
  return function layout(): Promise<boolean> {
    if (distributed !== undefined) return Promise.resolve(distributed);
    detecting ??= isTableDistributed(orm, table).then(
      (value) => {
        distributed = value;
        return value;
      },
      (error: unknown) => {
        detecting = undefined;
        throw error;
      },
    );
    return detecting;
  };
}

/**
 * Runs `run` again when PostgreSQL (or Citus's distributed deadlock detector) chose its statement
 * to break a deadlock (SQLSTATE 40P01): the statement was rolled back whole, so running it again is
 * safe. A few tries, then the error stands.
 *
 * @internal
 */
export async function retryDeadlock<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
      if (code !== '40P01' || attempt >= 3) throw error;
    }
  }
}
