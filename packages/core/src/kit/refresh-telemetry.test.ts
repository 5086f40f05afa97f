import {
  createMemoryKitFixture,
  expectKitError,
  type MemoryKitFixture,
  TEST_SECRET,
} from '@kit/test-support';
import * as otel from '@opentelemetry/api';
import { DataPointType, MeterProvider, type MetricData, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { utf8 } from '../crypto/primitives.ts';
import { KitStoreFailureError, KitStoreUnavailableError } from '../errors.ts';
import type { AuthKit, KitErrorCode } from '../index.ts';
import type { SessionStore } from '../store/session-store.ts';
import { RefreshTokenCodec } from '../tokens/refresh-token.ts';

/**
 * `kit.refreshes` and `kit.refresh.duration`: every way `kit.refresh` ends is counted once, under
 * exactly one outcome, on the in-memory store with a fake clock. Each test reads the kit's own
 * meter and tracer providers (no global is registered, and no context manager: spans nest by the
 * explicit parent alone).
 */

class TestReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

interface Recorder {
  telemetry: { api: typeof otel; meterProvider: MeterProvider; tracerProvider: BasicTracerProvider };
  spans: InMemorySpanExporter;
  metrics(): Promise<MetricData[]>;
  /** Every data point as `name {attributes}` → the counter's sum or the histogram's count. */
  points(): Promise<Map<string, number>>;
}

/** `unsampled`: a sampler that leaves every trace out (metrics are recorded all the same). */
function createRecorder(options: { unsampled?: boolean } = {}): Recorder {
  const reader = new TestReader();
  const spans = new InMemorySpanExporter();
  return {
    telemetry: {
      api: otel,
      meterProvider: new MeterProvider({ readers: [reader] }),
      tracerProvider: new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(spans)],
        ...(options.unsampled ? { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) } : {}),
      }),
    },
    spans,
    async metrics() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    },
    async points() {
      const out = new Map<string, number>();
      for (const metric of await this.metrics()) {
        for (const point of metric.dataPoints) {
          const value =
            metric.dataPointType === DataPointType.HISTOGRAM
              ? (point.value as { count: number }).count
              : (point.value as number);
          out.set(`${metric.descriptor.name} ${JSON.stringify(point.attributes)}`, value);
        }
      }
      return out;
    },
  };
}

/** What changed between two readings, among the instruments whose name starts with `prefix`. */
function changes(before: Map<string, number>, after: Map<string, number>, prefix: string) {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (key.startsWith(prefix) && delta !== 0) out[key] = delta;
  }
  return out;
}

const DAY = 86_400_000;
let f: MemoryKitFixture;
let codec: RefreshTokenCodec;
/** What the test's store and claims hook do: fail the store's calls, or throw in the hook. */
let failure: { store?: Error; hook?: boolean } = {};

beforeAll(async () => {
  f = await createMemoryKitFixture();
  codec = await RefreshTokenCodec.create(utf8(TEST_SECRET));
});
afterAll(async () => {
  await f?.close();
});
beforeEach(() => {
  failure = {};
});

/** The fixture's store, failing every call while `failure.store` is set. */
function failingStore(store: SessionStore): SessionStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        failure.store ? Promise.reject(failure.store) : value.apply(target, args);
    },
  });
}

async function makeKit(recorder: Recorder): Promise<AuthKit> {
  return f.makeKit({
    store: failingStore(f.store),
    telemetry: recorder.telemetry,
    claims: () => {
      if (failure.hook) throw new Error('the claims hook failed');
      return {};
    },
  });
}

/** A genuine token (the server's own tag) of the same session with a secret it never had. */
async function forge(token: string): Promise<string> {
  const parts = await codec.decode(token);
  return codec.encode({ ...parts, secret: crypto.getRandomValues(new Uint8Array(32)) });
}

interface Row {
  name: string;
  outcome: string;
  code?: KitErrorCode;
  /** Sets the scene; returns the last call, the one observed. */
  prepare(kit: AuthKit): Promise<() => Promise<unknown>>;
}

const open = (kit: AuthKit) => kit.createSession({ userId: 'user-outcomes' });

const ROWS: Row[] = [
  {
    name: 'with a rotation',
    outcome: 'rotated',
    prepare: async (kit) => {
      const { refreshToken } = await open(kit);
      return () => kit.refresh(refreshToken);
    },
  },
  {
    name: 'with the previous token within the grace window',
    outcome: 'grace',
    prepare: async (kit) => {
      const { refreshToken } = await open(kit);
      await kit.refresh(refreshToken);
      return () => kit.refresh(refreshToken);
    },
  },
  {
    name: 'with the previous token after the grace window',
    outcome: 'reused',
    code: 'ERR_REFRESH_TOKEN_REUSED',
    prepare: async (kit) => {
      const { refreshToken } = await open(kit);
      await kit.refresh(refreshToken);
      f.clock.advance(11_000);
      return () => kit.refresh(refreshToken);
    },
  },
  {
    name: 'with an older token, proven by the chain walk',
    outcome: 'reused',
    code: 'ERR_REFRESH_TOKEN_REUSED',
    prepare: async (kit) => {
      const first = await open(kit);
      const second = await kit.refresh(first.refreshToken);
      await kit.refresh(second.refreshToken);
      return () => kit.refresh(first.refreshToken);
    },
  },
  {
    name: 'with a malformed token',
    outcome: 'invalid',
    code: 'ERR_REFRESH_TOKEN_MALFORMED',
    prepare: async (kit) => () => kit.refresh('kit_rt_not-a-token'),
  },
  {
    name: 'with a token of another server',
    outcome: 'invalid',
    code: 'ERR_REFRESH_TOKEN_MALFORMED',
    prepare: async (kit) => {
      const other = await f.makeKit({ secret: `${TEST_SECRET}-of-another-server`, telemetry: false });
      const { refreshToken } = await open(other);
      return () => kit.refresh(refreshToken);
    },
  },
  {
    name: 'with a wrong secret under a genuine tag',
    outcome: 'invalid',
    code: 'ERR_REFRESH_TOKEN_INVALID',
    prepare: async (kit) => {
      const forged = await forge((await open(kit)).refreshToken);
      return () => kit.refresh(forged);
    },
  },
  {
    name: 'with a bad client context',
    outcome: 'invalid',
    code: 'ERR_INVALID_INPUT',
    prepare: async (kit) => {
      const { refreshToken } = await open(kit);
      return () => kit.refresh(refreshToken, { ip: 'x'.repeat(65) });
    },
  },
  {
    name: 'on an expired session',
    outcome: 'expired',
    code: 'ERR_SESSION_EXPIRED',
    prepare: async (kit) => {
      const { refreshToken } = await open(kit);
      f.clock.advance(31 * DAY);
      return () => kit.refresh(refreshToken);
    },
  },
  {
    name: 'on a revoked session',
    outcome: 'revoked',
    code: 'ERR_SESSION_REVOKED',
    prepare: async (kit) => {
      const { refreshToken, session } = await open(kit);
      await kit.sessions.revoke(session.id);
      return () => kit.refresh(refreshToken);
    },
  },
  {
    name: 'while the store is unreachable',
    outcome: 'unavailable',
    code: 'ERR_STORE_UNAVAILABLE',
    prepare: async (kit) => {
      const { refreshToken } = await open(kit);
      failure.store = new KitStoreUnavailableError();
      return () => kit.refresh(refreshToken);
    },
  },
  {
    name: 'when the store fails',
    outcome: 'unavailable',
    code: 'ERR_STORE_FAILURE',
    prepare: async (kit) => {
      const { refreshToken } = await open(kit);
      failure.store = new KitStoreFailureError('relation "kit_sessions" does not exist');
      return () => kit.refresh(refreshToken);
    },
  },
  {
    name: 'when the claims hook throws',
    outcome: 'unavailable',
    prepare: async (kit) => {
      const { refreshToken } = await open(kit);
      failure.hook = true;
      return () => kit.refresh(refreshToken);
    },
  },
];

describe('kit.refreshes and kit.refresh.duration', () => {
  it('cover every outcome of the contract', () => {
    expect(new Set(ROWS.map((row) => row.outcome))).toEqual(
      new Set(['rotated', 'grace', 'reused', 'invalid', 'expired', 'revoked', 'unavailable']),
    );
  });

  it.each(ROWS)('count a refresh $name once, as $outcome, with its duration', async (row) => {
    const recorder = createRecorder();
    const kit = await makeKit(recorder);
    const last = await row.prepare(kit);
    const before = await recorder.points();
    recorder.spans.reset();

    if (row.code) await expectKitError(last(), row.code);
    else if (row.outcome === 'unavailable') await expect(last()).rejects.toThrow();
    else await expect(last()).resolves.toMatchObject({ refreshToken: expect.any(String) });

    const outcome = JSON.stringify({ outcome: row.outcome });
    expect(changes(before, await recorder.points(), 'kit.refresh')).toEqual({
      [`kit.refreshes ${outcome}`]: 1,
      [`kit.refresh.duration ${outcome}`]: 1,
    });
    const spans = recorder.spans.getFinishedSpans().filter((span) => span.name === 'kit.refresh');
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes['kit.refresh.outcome']).toBe(row.outcome);
    if (row.outcome === 'rotated' || row.outcome === 'grace') {
      expect(spans[0]?.attributes['kit.error.code']).toBeUndefined();
    } else {
      expect(spans[0]?.attributes['kit.error.code']).toBe(row.code ?? 'Error');
    }
  });

  it('time the store calls of a refresh the sampler left out, failed ones included', async () => {
    const recorder = createRecorder({ unsampled: true });
    const kit = await makeKit(recorder);
    const { refreshToken } = await open(kit);
    const before = await recorder.points();
    const next = await kit.refresh(refreshToken);
    expect(changes(before, await recorder.points(), 'kit.store.duration')).toEqual({
      'kit.store.duration {"operation":"rotate"}': 1,
    });

    // A store that rejects, and one that throws instead of rejecting: the caller gets the store's
    // error code either way, and the call is timed.
    for (const fail of ['reject', 'throw'] as const) {
      const middle = await recorder.points();
      const error = new KitStoreUnavailableError();
      const store = failingStore(f.store);
      const throwing = new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name !== 'rotate') return value;
          return () => {
            if (fail === 'throw') throw error;
            return Promise.reject(error);
          };
        },
      }) as SessionStore;
      const failing = await f.makeKit({ store: throwing, telemetry: recorder.telemetry });
      await expectKitError(failing.refresh(next.refreshToken), 'ERR_STORE_UNAVAILABLE');
      expect(changes(middle, await recorder.points(), 'kit.')).toMatchObject({
        'kit.store.duration {"operation":"rotate"}': 1,
        'kit.refreshes {"outcome":"unavailable"}': 1,
      });
    }
    expect(recorder.spans.getFinishedSpans()).toEqual([]);
  });

  it('record durations in seconds', async () => {
    const recorder = createRecorder();
    const kit = await makeKit(recorder);
    const { refreshToken } = await open(kit);
    const start = performance.now();
    await kit.refresh(refreshToken);
    const elapsed = (performance.now() - start) / 1000;
    const histogram = (await recorder.metrics()).find((m) => m.descriptor.name === 'kit.refresh.duration');
    expect(histogram?.descriptor.unit).toBe('s');
    const sum = (histogram?.dataPoints[0]?.value as { sum: number } | undefined)?.sum;
    // Some time, and no more than the call took in seconds (milliseconds would be 1000 times more).
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThanOrEqual(elapsed);
  });
});
