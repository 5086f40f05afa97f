import { KitInvalidOptionsError, KitStoreUnavailableError } from '../errors.ts';

/**
 * How a {@link StatementBatcher} runs its work: one input alone, or several in one statement.
 *
 * @internal
 */
export interface BatchRunner<I, O> {
  /** Runs one input in its own statement. */
  one(input: I): Promise<O>;
  /** Runs several inputs in one atomic statement; resolves with one output per input, in order. */
  many(inputs: readonly I[]): Promise<O[]>;
}

/** @internal */
export interface StatementBatcherOptions {
  /** Most inputs sent in one statement. 1 turns batching off. */
  maxBatch: number;
  /** Most statements in flight at once; further inputs wait and leave together. */
  maxInFlight: number;
}

interface Pending<I, O> {
  input: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

// SQLSTATE 40P01 deadlock_detected, 40001 serialization_failure: the statement was rolled back
// whole, so running it again is safe.
const RETRYABLE = new Set(['40P01', '40001']);
const RETRIES = 3;

const STATEMENT_TIMEOUT = '57014';

/**
 * Most statements of one group in flight at once when its inputs are run one by one: isolating a
 * failure never turns one statement into as many at once as the group held (after a statement
 * timeout on an overloaded server, that would multiply its load by the group's size), and an
 * input waiting on a locked row holds up one of these only.
 */
const ONE_BY_ONE = 4;

/**
 * Runs `fn` once the event loop has handled every socket that was ready in this turn
 * (`setImmediate`), so the requests read in one turn share a statement. Taken when the module
 * loads: a test's fake timers, installed later, do not hold the statements back.
 */
const { setImmediate: immediate, setTimeout: timeout } = globalThis;
const afterThisTurn: (fn: () => void) => unknown = immediate ? (fn) => immediate(fn) : (fn) => timeout(fn, 0);

/**
 * The pool could not hand out a connection within its timeout (`KnexTimeoutError`), or the server
 * went silent on one (`QueryReadTimeout`): every queued input would wait as long for the same
 * answer. Other unavailability (a reset or refused connection) fails only the statement that met
 * it; the next statement finds out for itself, quickly, whether the server refuses.
 */
function noConnection(error: unknown): error is KitStoreUnavailableError {
  const cause = (error as { cause?: { name?: unknown } } | null)?.cause;
  return (
    error instanceof KitStoreUnavailableError &&
    (cause?.name === 'KnexTimeoutError' || cause?.name === 'QueryReadTimeout')
  );
}

function sqlState(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Runs `statement`, again after a deadlock or a serialization failure (rolled back whole). */
async function withRetries<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      const retryable = !(error instanceof KitStoreUnavailableError) && RETRYABLE.has(sqlState(error) ?? '');
      if (attempt < RETRIES && retryable) continue;
      throw error;
    }
  }
}

/**
 * Natural batching ("group commit") of one kind of statement: the store's rotations, the
 * PostgreSQL rate-limit store's hits. While fewer than `maxInFlight` statements are running, the
 * inputs that arrive in one turn of the event loop leave together at its end (`setImmediate`:
 * after every socket ready in that turn was read), so a quiet server adds no more than that turn
 * to an input's wait. Inputs that arrive while the limit is reached queue up, and each statement
 * that completes sends the whole queue (up to `maxBatch`) as the next one: under load, one round
 * trip and one commit serve many inputs.
 *
 * Each input keeps its own semantics (a rotation's compare-and-set, a hit's count: the batched
 * statement applies the same condition per row), so batching changes throughput, never outcomes.
 * Failure stays per input:
 *
 * - the database is unreachable: the statement's inputs fail with `ERR_STORE_UNAVAILABLE`; when
 *   that took a timeout (no connection within the pool's timeout, or a server gone silent), every
 *   queued input fails with them at once, instead of each waiting for its own timeout behind the
 *   last;
 * - a statement timeout (the server answers, but the statement waited, for instance on a row
 *   locked elsewhere): the inputs are run again one by one, so only the one behind the lock waits;
 * - a deadlock or serialization failure (possible between batches of several instances that lock
 *   rows in different orders): the statement was rolled back whole and is run again, a lone
 *   input's as a group's;
 * - any other failure: the inputs are run again one by one, so an input the database refuses
 *   fails alone.
 *
 * Run one by one, a group's inputs have at most four statements in flight at once, and when one of
 * them finds no connection in time the group's remaining inputs and the queue fail with it.
 *
 * @internal
 */
export class StatementBatcher<I, O> {
  readonly #runner: BatchRunner<I, O>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  #queue: Pending<I, O>[] = [];
  #inFlight = 0;
  #gathering = false;

  constructor(runner: BatchRunner<I, O>, options: StatementBatcherOptions) {
    for (const name of ['maxBatch', 'maxInFlight'] as const) {
      const value = options[name];
      // 0 or NaN would send empty groups forever, or nothing at all.
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new KitInvalidOptionsError(
          `The statement batcher's \`${name}\` must be a whole number, at least 1.`,
        );
      }
    }
    this.#runner = runner;
    this.#maxBatch = options.maxBatch;
    this.#maxInFlight = options.maxInFlight;
  }

  /** Runs `input`, alone or with others, and resolves with its own output. */
  run(input: I): Promise<O> {
    if (this.#maxBatch === 1) return withRetries(() => this.#runner.one(input));
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      // With a statement free, wait for the end of this turn of the event loop: the inputs of
      // every request read in the same turn leave together.
      if (!this.#gathering && this.#inFlight < this.#maxInFlight) {
        this.#gathering = true;
        afterThisTurn(() => {
          this.#gathering = false;
          this.#pump();
        });
      }
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#send(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #send(batch: Pending<I, O>[]): Promise<void> {
    if (batch.length === 1) return this.#oneByOne(batch);
    const inputs = batch.map((pending) => pending.input);
    try {
      const outputs = await withRetries(() => this.#runner.many(inputs));
      for (const [index, pending] of batch.entries()) pending.resolve(outputs[index] as O);
      return;
    } catch (error) {
      // A statement timeout means the server answers but this statement waited too long, for
      // instance on one session's row locked elsewhere: run the inputs one by one below, so only
      // the input behind the lock waits again.
      if (error instanceof KitStoreUnavailableError && sqlState(error) !== STATEMENT_TIMEOUT) {
        for (const pending of batch) pending.reject(new KitStoreUnavailableError({ cause: error.cause }));
        if (noConnection(error)) this.#failQueue(error);
        return;
      }
    }
    // Isolate the failure: each input on its own, so only the one the database refuses fails.
    await this.#oneByOne(batch);
  }

  /**
   * Runs each input in a statement of its own, at most {@link ONE_BY_ONE} at once. Once one finds
   * no connection in time, the inputs not yet sent and the queue fail with it.
   */
  async #oneByOne(batch: Pending<I, O>[]): Promise<void> {
    let next = 0;
    let down: KitStoreUnavailableError | undefined;
    const lane = async () => {
      while (next < batch.length) {
        const pending = batch[next++] as Pending<I, O>;
        if (down) {
          pending.reject(new KitStoreUnavailableError({ cause: down.cause }));
          continue;
        }
        try {
          pending.resolve(await withRetries(() => this.#runner.one(pending.input)));
        } catch (error) {
          pending.reject(error);
          if (noConnection(error) && !down) {
            down = error;
            this.#failQueue(error);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ONE_BY_ONE, batch.length) }, lane));
  }

  /** No connection could be had in time: the queued inputs would only wait for the same failure. */
  #failQueue(error: KitStoreUnavailableError): void {
    const queued = this.#queue;
    this.#queue = [];
    for (const pending of queued) pending.reject(new KitStoreUnavailableError({ cause: error.cause }));
  }
}

/**
 * A {@link StatementBatcher} for a table that may be distributed (Citus): made at the first input,
 * once `layout` has said, with groups of up to `batchSize` (default 64, or 1 on a distributed
 * table, whose rows of one group would live on different shards). Returns its `run`; after the
 * first input, straight to the batcher: the hot path awaits nothing more.
 *
 * @internal
 */
export function batchedByLayout<I, O>(
  runner: BatchRunner<I, O>,
  layout: () => Promise<boolean>,
  batchSize: number | undefined,
): (input: I) => Promise<O> {
  let batcher: StatementBatcher<I, O> | undefined;
  const make = (isDistributed: boolean) => {
    batcher ??= new StatementBatcher(runner, {
      maxBatch: batchSize ?? (isDistributed ? 1 : 64),
      maxInFlight: 2,
    });
    return batcher;
  };
  return (input) =>
    batcher ? batcher.run(input) : layout().then((isDistributed) => make(isDistributed).run(input));
}
