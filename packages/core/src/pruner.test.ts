import { expectKitError } from '@kit/test-support';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KitPurgeInProgressError, KitStoreUnavailableError } from './errors.ts';
import { createPruner, type Pruner, type PrunerOptions } from './pruner.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

type PurgeOptions = { retain: number; batchSize: number; signal: AbortSignal };

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run without moving the fake clock. */
async function flush() {
  await vi.advanceTimersByTimeAsync(0);
}

const started: Pruner[] = [];

function start(purge: (options: PurgeOptions) => Promise<number>, options?: PrunerOptions): Pruner {
  const pruner = createPruner(purge, options);
  started.push(pruner);
  return pruner;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  // Let runs that wait on the fake clock finish, so stop() can resolve.
  const stopping = Promise.all(started.splice(0).map((pruner) => pruner.stop()));
  await vi.advanceTimersByTimeAsync(60 * MINUTE);
  await stopping;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('createPruner', () => {
  it('runs once per interval, with the retain and batch size it was given', async () => {
    const purge = vi.fn(async (_: PurgeOptions) => 4);
    start(purge, { interval: '1m', retain: '7d', batchSize: 50 });
    await vi.advanceTimersByTimeAsync(MINUTE - 1);
    expect(purge).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(purge).toHaveBeenCalledTimes(1);
    expect(purge.mock.calls[0]![0]).toMatchObject({ retain: 604_800, batchSize: 50 });
    expect(purge.mock.calls[0]![0].signal).toBeInstanceOf(AbortSignal);
    expect(purge.mock.calls[0]![0].signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(purge).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(purge).toHaveBeenCalledTimes(5);
  });

  it('defaults to one run an hour, retain 7 days and batches of 1000', async () => {
    const purge = vi.fn(async (_: PurgeOptions) => 0);
    start(purge);
    await vi.advanceTimersByTimeAsync(60 * MINUTE - 1);
    expect(purge).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(purge).toHaveBeenCalledTimes(1);
    expect(purge.mock.calls[0]![0]).toMatchObject({ retain: 7 * 86_400, batchSize: 1000 });
  });

  it('accepts an interval in seconds', async () => {
    const purge = vi.fn(async (_: PurgeOptions) => 0);
    start(purge, { interval: 30 });
    await vi.advanceTimersByTimeAsync(30 * SECOND);
    expect(purge).toHaveBeenCalledTimes(1);
  });

  it('counts the interval from the end of the previous run', async () => {
    // Each run takes 30 s: runs start at 60 s and at 60 + 30 + 60 = 150 s.
    const purge = vi.fn(
      (_: PurgeOptions) => new Promise<number>((resolve) => setTimeout(() => resolve(1), 30 * SECOND)),
    );
    start(purge, { interval: '1m' });
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(purge).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(150 * SECOND - MINUTE - 1);
    expect(purge).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(purge).toHaveBeenCalledTimes(2);
  });

  it('never starts a second run while one is in progress', async () => {
    const runs = [deferred<number>(), deferred<number>()];
    const purge = vi.fn((_: PurgeOptions) => runs[purge.mock.calls.length - 1]!.promise);
    start(purge, { interval: '1m' });
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(purge).toHaveBeenCalledTimes(1);
    // The run hangs for ten intervals: nothing else starts.
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(purge).toHaveBeenCalledTimes(1);
    runs[0]!.resolve(1);
    await flush();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(purge).toHaveBeenCalledTimes(2);
    runs[1]!.resolve(1);
  });

  describe('runNow', () => {
    it('runs at once and resolves to the number deleted', async () => {
      const onRun = vi.fn();
      const purge = vi.fn(async (_: PurgeOptions) => 12);
      const pruner = start(purge, { interval: '1h', onRun });
      await expect(pruner.runNow()).resolves.toBe(12);
      expect(purge).toHaveBeenCalledTimes(1);
      expect(onRun).toHaveBeenCalledWith(12, { skipped: false });
    });

    it('shares a run in progress instead of starting another', async () => {
      const run = deferred<number>();
      const purge = vi.fn((_: PurgeOptions) => run.promise);
      const onRun = vi.fn();
      const pruner = start(purge, { interval: '1h', onRun });
      const first = pruner.runNow();
      const second = pruner.runNow();
      await flush();
      expect(purge).toHaveBeenCalledTimes(1);
      run.resolve(7);
      await expect(first).resolves.toBe(7);
      await expect(second).resolves.toBe(7);
      expect(onRun).toHaveBeenCalledTimes(1);
      // Once it has finished, the next call starts a new run.
      purge.mockImplementation(async () => 3);
      await expect(pruner.runNow()).resolves.toBe(3);
      expect(purge).toHaveBeenCalledTimes(2);
    });

    it('shares a scheduled run in progress', async () => {
      const run = deferred<number>();
      const purge = vi.fn((_: PurgeOptions) => run.promise);
      const pruner = start(purge, { interval: '1m' });
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(purge).toHaveBeenCalledTimes(1);
      const now = pruner.runNow();
      await flush();
      expect(purge).toHaveBeenCalledTimes(1);
      run.resolve(5);
      await expect(now).resolves.toBe(5);
    });

    it('rejects with the error of a failed run and reports it to onError', async () => {
      const failure = new KitStoreUnavailableError();
      const onError = vi.fn();
      const onRun = vi.fn();
      const pruner = start(
        vi.fn(async () => {
          throw failure;
        }),
        { onError, onRun },
      );
      await expect(pruner.runNow()).rejects.toBe(failure);
      expect(onError).toHaveBeenCalledTimes(1);
      expect(onError).toHaveBeenCalledWith(failure);
      expect(onRun).not.toHaveBeenCalled();
    });
  });

  describe('stop', () => {
    it('aborts the signal and waits for the run in progress', async () => {
      const run = deferred<number>();
      const purge = vi.fn((_: PurgeOptions) => run.promise);
      const pruner = start(purge, { interval: '1m' });
      const inFlight = pruner.runNow();
      await flush();
      const signal = purge.mock.calls[0]![0].signal;
      expect(signal.aborted).toBe(false);

      let stopped = false;
      const stopping = pruner.stop().then(() => {
        stopped = true;
      });
      await flush();
      expect(signal.aborted).toBe(true);
      expect(stopped).toBe(false);
      await vi.advanceTimersByTimeAsync(10 * MINUTE);
      expect(stopped).toBe(false);

      run.resolve(2);
      await stopping;
      expect(stopped).toBe(true);
      await expect(inFlight).resolves.toBe(2);
    });

    it('resolves even when the run in progress fails', async () => {
      const run = deferred<number>();
      const onError = vi.fn();
      const pruner = start(() => run.promise, { onError });
      const inFlight = pruner.runNow();
      inFlight.catch(() => undefined);
      const stopping = pruner.stop();
      run.reject(new Error('interrupted'));
      await expect(stopping).resolves.toBeUndefined();
      expect(onError).toHaveBeenCalledTimes(1);
    });

    it('resolves at once when nothing is running, and is idempotent', async () => {
      const purge = vi.fn(async (_: PurgeOptions) => 0);
      const pruner = start(purge, { interval: '1m' });
      await expect(pruner.stop()).resolves.toBeUndefined();
      await expect(pruner.stop()).resolves.toBeUndefined();
      expect(purge).not.toHaveBeenCalled();
    });

    it('makes runNow a no-op once stopped', async () => {
      const purge = vi.fn(async (_: PurgeOptions) => 3);
      const pruner = start(purge, { interval: '1m' });
      await pruner.stop();
      await expect(pruner.runNow()).resolves.toBe(0);
      expect(purge).not.toHaveBeenCalled();
    });

    it('cancels the schedule: no run after stop', async () => {
      const purge = vi.fn(async (_: PurgeOptions) => 0);
      const pruner = start(purge, { interval: '1m' });
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(purge).toHaveBeenCalledTimes(1);
      await pruner.stop();
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(60 * MINUTE);
      expect(purge).toHaveBeenCalledTimes(1);
    });

    it('does not reschedule after a scheduled run that was in progress when stop was called', async () => {
      const run = deferred<number>();
      const purge = vi.fn((_: PurgeOptions) => run.promise);
      const pruner = start(purge, { interval: '1m' });
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(purge).toHaveBeenCalledTimes(1);
      const stopping = pruner.stop();
      run.resolve(1);
      await stopping;
      await flush();
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(60 * MINUTE);
      expect(purge).toHaveBeenCalledTimes(1);
    });
  });

  describe('reporting', () => {
    it('passes each run count to onRun', async () => {
      const counts = [3, 0, 250];
      const purge = vi.fn(async (_: PurgeOptions) => counts[purge.mock.calls.length - 1]!);
      const onRun = vi.fn();
      start(purge, { interval: '1m', onRun });
      await vi.advanceTimersByTimeAsync(3 * MINUTE);
      expect(onRun.mock.calls).toEqual([
        [3, { skipped: false }],
        [0, { skipped: false }],
        [250, { skipped: false }],
      ]);
    });

    it('reports a run skipped because another instance is purging to onRun, not onError', async () => {
      const purge = vi.fn(async (_: PurgeOptions) => 4).mockRejectedValueOnce(new KitPurgeInProgressError());
      const onError = vi.fn();
      const onRun = vi.fn();
      const pruner = start(purge, { interval: '1m', onError, onRun });
      await expect(pruner.runNow()).resolves.toBe(0);
      expect(onRun.mock.calls).toEqual([[0, { skipped: true }]]);
      expect(onError).not.toHaveBeenCalled();
      // The schedule goes on: the next run purges.
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(onRun.mock.calls.at(-1)).toEqual([4, { skipped: false }]);
    });

    it('reports a failed scheduled run to onError and keeps the schedule', async () => {
      const failure = new KitStoreUnavailableError();
      const purge = vi
        .fn(async (_: PurgeOptions) => 9)
        .mockRejectedValueOnce(failure)
        .mockRejectedValueOnce(new Error('second failure'));
      const onError = vi.fn();
      const onRun = vi.fn();
      start(purge, { interval: '1m', onError, onRun });
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(onError).toHaveBeenCalledTimes(1);
      expect(onError.mock.calls[0]![0]).toBe(failure);
      expect(onRun).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(onError).toHaveBeenCalledTimes(2);
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(purge).toHaveBeenCalledTimes(3);
      expect(onRun).toHaveBeenCalledWith(9, { skipped: false });
      expect(onError).toHaveBeenCalledTimes(2);
    });

    it('keeps the schedule when onError itself throws', async () => {
      const purge = vi.fn(async (_: PurgeOptions) => 1).mockRejectedValueOnce(new Error('down'));
      const onError = vi.fn(() => {
        throw new Error('broken handler');
      });
      start(purge, { interval: '1m', onError });
      await vi.advanceTimersByTimeAsync(2 * MINUTE);
      expect(onError).toHaveBeenCalledTimes(1);
      expect(purge).toHaveBeenCalledTimes(2);
    });

    it('logs the code through its logger by default, never the message, and nothing without one', async () => {
      const print = ['log', 'info', 'warn', 'error'].map((level) =>
        vi.spyOn(console, level as 'log').mockImplementation(() => undefined),
      );
      const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
      const failure = new KitStoreUnavailableError({ cause: new Error('password=hunter2') });
      Object.defineProperty(failure, 'message', { value: 'connection to postgres://user:hunter2@db failed' });
      const purge = vi.fn(async (_: PurgeOptions) => 0).mockRejectedValue(failure);
      start(purge, { interval: '1m', logger });
      start(purge, { interval: '1m' });
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(purge).toHaveBeenCalledTimes(2);
      expect(logger.error.mock.calls).toEqual([
        [{ code: 'ERR_STORE_UNAVAILABLE' }, 'kit: session pruning failed'],
      ]);
      expect(logger.warn).not.toHaveBeenCalled();
      expect(logger.info).not.toHaveBeenCalled();
      for (const spy of print) expect(spy).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(purge).toHaveBeenCalledTimes(4);
      expect(logger.error).toHaveBeenCalledTimes(2);
    });

    it('gives onError the failure instead of logging it', async () => {
      const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
      const onError = vi.fn();
      const pruner = start(
        vi.fn(async () => Promise.reject(new KitStoreUnavailableError())),
        { logger, onError },
      );
      await expect(pruner.runNow()).rejects.toBeInstanceOf(KitStoreUnavailableError);
      expect(onError).toHaveBeenCalledTimes(1);
      expect(logger.error).not.toHaveBeenCalled();
    });
  });

  describe('options', () => {
    it.each([
      ['0', 0],
      ['-1', -1],
      ['a fraction', 1.5],
      ['over 100000', 100_001],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['a string', '10'],
    ])('rejects batchSize %s with ERR_INVALID_OPTIONS', (_name, batchSize) => {
      const purge = vi.fn(async () => 0);
      expectKitError(() => createPruner(purge, { batchSize: batchSize as number }), 'ERR_INVALID_OPTIONS');
      // A rejected pruner schedules nothing.
      expect(vi.getTimerCount()).toBe(0);
    });

    it('accepts batchSize 1 and 100000', async () => {
      const purge = vi.fn(async (_: PurgeOptions) => 0);
      await start(purge, { batchSize: 1 }).runNow();
      await start(purge, { batchSize: 100_000 }).runNow();
      expect(purge.mock.calls.map(([o]) => o.batchSize)).toEqual([1, 100_000]);
    });

    it('rejects an invalid interval or retain with ERR_INVALID_OPTIONS', () => {
      const purge = vi.fn(async () => 0);
      expectKitError(() => createPruner(purge, { interval: 0 }), 'ERR_INVALID_OPTIONS');
      expectKitError(() => createPruner(purge, { interval: '1x' as never }), 'ERR_INVALID_OPTIONS');
      expectKitError(() => createPruner(purge, { retain: -1 }), 'ERR_INVALID_OPTIONS');
      expectKitError(() => createPruner(purge, { logger: console.error as never }), 'ERR_INVALID_OPTIONS');
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
