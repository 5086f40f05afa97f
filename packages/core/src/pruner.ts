import { KitError, KitInvalidOptionsError } from './errors.ts';
import { errorFields, type KitLogger, resolveLogger } from './telemetry/logger.ts';
import { type Duration, toOptionSeconds } from './util/duration.ts';

/**
 * Options of {@link AuthKit.startPruner}.
 */
export interface PrunerOptions {
  /**
   * Time between the end of one run and the start of the next.
   * @default '1h'
   */
  interval?: Duration;
  /**
   * Keep expired and revoked sessions this long before deleting them (so they can still be
   * listed or revalidated).
   * @default '7d'
   */
  retain?: Duration;
  /**
   * Rows examined per statement.
   * @default 1000
   */
  batchSize?: number;
  /**
   * Called after each run with the number of sessions deleted. `skipped` is `true` when another
   * instance was purging (it held the store's purge lock): this run deleted nothing, which is not
   * an error, and the next run comes after `interval` as usual.
   */
  onRun?: (deleted: number, run: { skipped: boolean }) => void;
  /**
   * Called when a run fails; the pruner keeps its schedule.
   * @default logs `{ code }` (the error's code, or its class name) through `logger`, at error level
   */
  onError?: (error: unknown) => void;
  /**
   * Where the default `onError` logs a failed run (a pino logger fits). Never the error's message.
   * @default the kit's `logger` for `kit.startPruner` (so nothing is logged when the kit has none)
   */
  logger?: KitLogger;
}

/**
 * A running pruner.
 *
 * @example
 * ```ts
 * const pruner = kit.startPruner({ interval: '1h' });
 * process.on('SIGTERM', () => pruner.stop());
 * ```
 */
export interface Pruner {
  /**
   * Runs a purge now (waits for a run already under way). Resolves to the number deleted: 0 when
   * another instance was purging (reported to `onRun` as skipped), and after `stop()`, without
   * purging.
   */
  runNow(): Promise<number>;
  /**
   * Stops the schedule, interrupts a run between two batches and resolves when no run is in
   * progress. Idempotent.
   */
  stop(): Promise<void>;
}

type Purge = (options: { retain: number; batchSize: number; signal: AbortSignal }) => Promise<number>;

/**
 * Starts a pruner that calls `purge` every `interval`. Without `logger` and `onError`, a failed run
 * is not reported anywhere (`kit.startPruner` passes the kit's logger).
 *
 * @internal
 */
export function createPruner(purge: Purge, options: PrunerOptions = {}): Pruner {
  const interval = toOptionSeconds(options.interval, 'interval', '1h');
  const retain = toOptionSeconds(options.retain, 'retain', '7d', { allowZero: true });
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new KitInvalidOptionsError('`batchSize` must be a whole number from 1 to 100000.');
  }
  const logger = resolveLogger(options.logger);
  const onError =
    options.onError ??
    ((error: unknown) => {
      // The code or class name only: a driver's message can quote anything.
      logger.error(errorFields(error), 'kit: session pruning failed');
    });
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      run()
        .catch(() => undefined)
        .finally(schedule);
    }, interval * 1000);
    // Never keep a process alive just to prune.
    (timer as { unref?: () => void }).unref?.();
  }

  function run(): Promise<number> {
    if (running) return running;
    if (stopped) return Promise.resolve(0); // a stopped pruner never touches the store again
    running = purge({ retain, batchSize, signal: controller.signal })
      .then(
        (deleted) => {
          options.onRun?.(deleted, { skipped: false });
          return deleted;
        },
        (error: unknown) => {
          // Another instance holds the purge lock: one purges at a time, this run has nothing to do.
          if (!(error instanceof KitError && error.code === 'ERR_PURGE_IN_PROGRESS')) throw error;
          options.onRun?.(0, { skipped: true });
          return 0;
        },
      )
      .catch((error: unknown) => {
        onError(error);
        throw error;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  schedule();
  return {
    runNow: run,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      controller.abort();
      await running?.catch(() => undefined);
    },
  };
}
