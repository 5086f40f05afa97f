import { describe, expect, it, vi } from 'vitest';
import { KitInvalidOptionsError, KitStoreFailureError, KitStoreUnavailableError } from '../errors.ts';
import { type BatchRunner, StatementBatcher } from './statement-batcher.ts';

/** A runner whose statements complete only when the test says so, recording what was sent. */
function controlledRunner() {
  const sent: { kind: 'one' | 'many'; inputs: number[]; finish: (error?: unknown) => void }[] = [];
  const failing = new Set<number>();
  const runner: BatchRunner<number, string> = {
    one(input) {
      return new Promise((resolve, reject) => {
        sent.push({
          kind: 'one',
          inputs: [input],
          finish: (error) =>
            error ? reject(error) : failing.has(input) ? reject(failure()) : resolve(`r${input}`),
        });
      });
    },
    many(inputs) {
      return new Promise((resolve, reject) => {
        sent.push({
          kind: 'many',
          inputs: [...inputs],
          finish: (error) =>
            error
              ? reject(error)
              : inputs.some((i) => failing.has(i))
                ? reject(failure())
                : resolve(inputs.map((i) => `r${i}`)),
        });
      });
    },
  };
  return { runner, sent, failing };
}

function failure(code = '22001') {
  return new KitStoreFailureError('The session store failed during rotate.', { cause: { code } });
}

// The real one, also while a test fakes the timers.
const realSetImmediate = setImmediate;
const tick = () => new Promise((resolve) => realSetImmediate(resolve));

/**
 * Runs the first input in a turn of its own, so it leaves alone at that turn's end, then the
 * others while its statement is in flight (queued, with `maxInFlight: 1`).
 */
async function firstThenRest<T>(inputs: number[], run: (input: number) => Promise<T>): Promise<Promise<T>[]> {
  const first = run(inputs[0]!);
  await tick();
  return [first, ...inputs.slice(1).map(run)];
}

describe('StatementBatcher', () => {
  it('sends the inputs of one turn of the event loop together at its end, and a lone one alone', async () => {
    const { runner, sent } = controlledRunner();
    const batcher = new StatementBatcher(runner, { maxBatch: 64, maxInFlight: 2 });
    const a = batcher.run(1);
    // Not before the turn ends: the requests read in the same turn may bring more.
    expect(sent).toEqual([]);
    await tick();
    expect(sent.map((s) => [s.kind, s.inputs])).toEqual([['one', [1]]]);
    // A statement is still free: the next turn's inputs leave at its end, together.
    const b = batcher.run(2);
    const c = batcher.run(3);
    await tick();
    expect(sent.map((s) => [s.kind, s.inputs])).toEqual([
      ['one', [1]],
      ['many', [2, 3]],
    ]);
    sent[0]!.finish();
    sent[1]!.finish();
    expect(await Promise.all([a, b, c])).toEqual(['r1', 'r2', 'r3']);
  });

  it('queues while the limit is reached and sends the queue as one statement, up to maxBatch', async () => {
    const { runner, sent } = controlledRunner();
    const batcher = new StatementBatcher(runner, { maxBatch: 3, maxInFlight: 1 });
    const results = await firstThenRest([1, 2, 3, 4, 5, 6], (i) => batcher.run(i));
    expect(sent.map((s) => s.inputs)).toEqual([[1]]);
    sent[0]!.finish();
    await tick();
    expect(sent.map((s) => s.inputs)).toEqual([[1], [2, 3, 4]]);
    expect(sent[1]!.kind).toBe('many');
    sent[1]!.finish();
    await tick();
    expect(sent.map((s) => s.inputs)).toEqual([[1], [2, 3, 4], [5, 6]]);
    sent[2]!.finish();
    expect(await Promise.all(results)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  });

  it('fails the statement and every queued input at once when no connection can be had', async () => {
    const { runner, sent } = controlledRunner();
    const batcher = new StatementBatcher(runner, { maxBatch: 2, maxInFlight: 1 });
    const results = await firstThenRest([1, 2, 3, 4, 5], (i) =>
      batcher.run(i).catch((error: unknown) => error),
    );
    sent[0]!.finish();
    await tick();
    // No connection within the pool's timeout (KnexTimeoutError); a server gone silent
    // (QueryReadTimeout) is treated the same.
    sent[1]!.finish(new KitStoreUnavailableError({ cause: { name: 'KnexTimeoutError' } }));
    const outcomes = await Promise.all(results);
    expect(outcomes[0]).toBe('r1');
    for (const outcome of outcomes.slice(1)) {
      expect(outcome).toBeInstanceOf(KitStoreUnavailableError);
    }
    // Nothing else was sent: the queued inputs did not wait for a timeout of their own.
    expect(sent).toHaveLength(2);
    // Each caller gets its own error object.
    expect(outcomes[1]).not.toBe(outcomes[2]);
  });

  it('fails only the statement when its connection broke, and sends the queue next', async () => {
    const { runner, sent } = controlledRunner();
    const batcher = new StatementBatcher(runner, { maxBatch: 2, maxInFlight: 1 });
    const results = await firstThenRest([1, 2, 3, 4], (i) => batcher.run(i).catch((error: unknown) => error));
    sent[0]!.finish();
    await tick();
    sent[1]!.finish(new KitStoreUnavailableError({ cause: { name: 'Error', code: 'ECONNRESET' } }));
    await tick();
    expect(sent.map((s) => s.inputs)).toEqual([[1], [2, 3], [4]]);
    sent[2]!.finish();
    const outcomes = await Promise.all(results);
    expect(outcomes[0]).toBe('r1');
    expect(outcomes[1]).toBeInstanceOf(KitStoreUnavailableError);
    expect(outcomes[2]).toBeInstanceOf(KitStoreUnavailableError);
    expect(outcomes[3]).toBe('r4');
  });

  it('runs the inputs one by one after a statement timeout, so only the one behind a lock waits', async () => {
    const { runner, sent } = controlledRunner();
    const batcher = new StatementBatcher(runner, { maxBatch: 8, maxInFlight: 1 });
    const results = await firstThenRest([1, 2, 3], (i) => batcher.run(i).catch((error: unknown) => error));
    sent[0]!.finish();
    await tick();
    sent[1]!.finish(new KitStoreUnavailableError({ cause: { name: 'error', code: '57014' } }));
    await tick();
    expect(sent.slice(2).map((s) => [s.kind, s.inputs])).toEqual([
      ['one', [2]],
      ['one', [3]],
    ]);
    sent[2]!.finish();
    sent[3]!.finish(new KitStoreUnavailableError({ cause: { name: 'error', code: '57014' } }));
    const outcomes = await Promise.all(results);
    expect(outcomes.slice(0, 2)).toEqual(['r1', 'r2']);
    expect(outcomes[2]).toBeInstanceOf(KitStoreUnavailableError);
  });

  it('runs a batch again after a deadlock, then falls back to one statement per input', async () => {
    const { runner, sent } = controlledRunner();
    const batcher = new StatementBatcher(runner, { maxBatch: 8, maxInFlight: 1 });
    const results = await firstThenRest([1, 2, 3], (i) => batcher.run(i));
    sent[0]!.finish();
    await tick();
    sent[1]!.finish(failure('40P01'));
    await tick();
    expect(sent.map((s) => [s.kind, s.inputs])).toEqual([
      ['one', [1]],
      ['many', [2, 3]],
      ['many', [2, 3]],
    ]);
    sent[2]!.finish();
    expect(await Promise.all(results)).toEqual(['r1', 'r2', 'r3']);
  });

  it('isolates an input the database refuses: only that caller fails', async () => {
    const { runner, sent, failing } = controlledRunner();
    failing.add(3);
    const batcher = new StatementBatcher(runner, { maxBatch: 8, maxInFlight: 1 });
    const results = await firstThenRest([1, 2, 3, 4], (i) => batcher.run(i).catch((error: unknown) => error));
    sent[0]!.finish();
    await tick();
    sent[1]!.finish();
    await tick();
    expect(sent.slice(2).map((s) => [s.kind, s.inputs])).toEqual([
      ['one', [2]],
      ['one', [3]],
      ['one', [4]],
    ]);
    for (const s of sent.slice(2)) s.finish();
    const outcomes = await Promise.all(results);
    expect(outcomes[0]).toBe('r1');
    expect(outcomes[1]).toBe('r2');
    expect(outcomes[2]).toBeInstanceOf(KitStoreFailureError);
    expect(outcomes[3]).toBe('r4');
  });

  it('runs at most four statements of a group at once when it runs its inputs one by one', async () => {
    const { runner, sent, failing } = controlledRunner();
    failing.add(2);
    const batcher = new StatementBatcher(runner, { maxBatch: 16, maxInFlight: 1 });
    const inputs = Array.from({ length: 11 }, (_, i) => i + 1);
    const results = await firstThenRest(inputs, (i) => batcher.run(i).catch((error: unknown) => error));
    sent[0]!.finish();
    await tick();
    sent[1]!.finish(); // the group of ten fails: input 2 is refused
    await tick();
    // Four lanes: the next input leaves as soon as one of the four statements completes.
    expect(sent.slice(2).map((s) => s.inputs[0])).toEqual([2, 3, 4, 5]);
    sent[3]!.finish();
    await tick();
    expect(sent.slice(2).map((s) => s.inputs[0])).toEqual([2, 3, 4, 5, 6]);
    for (let i = 2; i < sent.length; i++) {
      if (i !== 3) sent[i]!.finish();
      await tick();
    }
    expect(sent).toHaveLength(2 + 10);
    const outcomes = await Promise.all(results);
    expect(outcomes[1]).toBeInstanceOf(KitStoreFailureError);
    expect(outcomes.filter((o) => typeof o === 'string')).toHaveLength(10);
  });

  it('fails the rest of a group and the queue when a statement run one by one finds no connection', async () => {
    const { runner, sent } = controlledRunner();
    const batcher = new StatementBatcher(runner, { maxBatch: 8, maxInFlight: 1 });
    const results = await firstThenRest([1, 2, 3, 4, 5, 6, 7], (i) =>
      batcher.run(i).catch((error: unknown) => error),
    );
    sent[0]!.finish();
    await tick();
    sent[1]!.finish(failure()); // the group of six fails: run one by one
    await tick();
    expect(sent.slice(2).map((s) => s.inputs[0])).toEqual([2, 3, 4, 5]);
    const queued = batcher.run(8).catch((error: unknown) => error);
    sent[2]!.finish(new KitStoreUnavailableError({ cause: { name: 'KnexTimeoutError' } }));
    await tick();
    // Inputs 6 and 7 are never sent, and the input queued meanwhile fails at once too.
    expect(sent).toHaveLength(6);
    expect(await queued).toBeInstanceOf(KitStoreUnavailableError);
    for (const s of sent.slice(3)) s.finish();
    const outcomes = await Promise.all(results);
    expect(outcomes.slice(0, 1)).toEqual(['r1']);
    expect(outcomes[1]).toBeInstanceOf(KitStoreUnavailableError);
    expect(outcomes.slice(2, 5)).toEqual(['r3', 'r4', 'r5']);
    expect(outcomes[5]).toBeInstanceOf(KitStoreUnavailableError);
    expect(outcomes[6]).toBeInstanceOf(KitStoreUnavailableError);
  });

  it('runs a lone statement again after a deadlock or a serialization failure, also when maxBatch is 1', async () => {
    for (const maxBatch of [64, 1]) {
      const { runner, sent } = controlledRunner();
      const batcher = new StatementBatcher(runner, { maxBatch, maxInFlight: 2 });
      const result = batcher.run(1);
      await tick();
      sent[0]!.finish(failure('40001'));
      await tick();
      sent[1]!.finish(failure('40P01'));
      await tick();
      expect(sent.map((s) => [s.kind, s.inputs])).toEqual([
        ['one', [1]],
        ['one', [1]],
        ['one', [1]],
      ]);
      sent[2]!.finish();
      expect(await result).toBe('r1');
    }
  });

  it('refuses options under which it would never send', () => {
    const { runner } = controlledRunner();
    for (const options of [
      { maxBatch: 0, maxInFlight: 2 },
      { maxBatch: Number.NaN, maxInFlight: 2 },
      { maxBatch: 1.5, maxInFlight: 2 },
      { maxBatch: 64, maxInFlight: 0 },
    ]) {
      expect(() => new StatementBatcher(runner, options)).toThrow(KitInvalidOptionsError);
    }
  });

  it("is not held back by a test's fake timers", async () => {
    const { runner, sent } = controlledRunner();
    const batcher = new StatementBatcher(runner, { maxBatch: 64, maxInFlight: 2 });
    vi.useFakeTimers({ toFake: ['setImmediate', 'setTimeout', 'Date'] });
    try {
      const a = batcher.run(1);
      await tick();
      expect(sent.map((s) => s.inputs)).toEqual([[1]]);
      sent[0]!.finish();
      expect(await a).toBe('r1');
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends every input alone, without queueing, when maxBatch is 1', async () => {
    const { runner, sent } = controlledRunner();
    const batcher = new StatementBatcher(runner, { maxBatch: 1, maxInFlight: 1 });
    const results = [1, 2, 3].map((i) => batcher.run(i));
    expect(sent.map((s) => [s.kind, s.inputs])).toEqual([
      ['one', [1]],
      ['one', [2]],
      ['one', [3]],
    ]);
    for (const s of sent) s.finish();
    expect(await Promise.all(results)).toEqual(['r1', 'r2', 'r3']);
  });
});
