import { createMemoryKitFixture, type MemoryKitFixture, TEST_SECRET } from '@kit/test-support';
import * as otel from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256, utf8 } from '../crypto/primitives.ts';
import { KitStoreUnavailableError } from '../errors.ts';
import type { AuthKit, AuthKitOptions } from '../index.ts';
import type { SessionStore } from '../store/session-store.ts';
import { RefreshTokenCodec } from '../tokens/refresh-token.ts';
import { encodeBase64url } from '../util/base64url.ts';

/**
 * The kit's spans, its session counters and store durations, its logging, and a kit with
 * telemetry off, on the in-memory store with a fake clock. Each kit gets meter and tracer
 * providers of its own; no context manager is registered, so nesting comes from explicit parents.
 * (The refresh outcomes are in refresh-telemetry.test.ts.)
 */

class TestReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

interface Recorder {
  telemetry: { api: typeof otel; meterProvider: MeterProvider; tracerProvider: BasicTracerProvider };
  spans(): ReadableSpan[];
  /** Every data point: instrument name, attributes, and the counter's sum or the histogram's count. */
  points(): Promise<{ name: string; attributes: Record<string, unknown>; value: number }[]>;
}

function createRecorder(): Recorder {
  const reader = new TestReader();
  const exporter = new InMemorySpanExporter();
  return {
    telemetry: {
      api: otel,
      meterProvider: new MeterProvider({ readers: [reader] }),
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    },
    spans: () => exporter.getFinishedSpans(),
    async points() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((scope) =>
        scope.metrics.flatMap((metric) =>
          metric.dataPoints.map((point) => ({
            name: metric.descriptor.name,
            attributes: point.attributes,
            value:
              metric.dataPointType === DataPointType.HISTOGRAM
                ? (point.value as { count: number }).count
                : (point.value as number),
          })),
        ),
      );
    },
  };
}

/** `{ "<name> <attributes>": value }` for the instruments named `name`. */
async function reading(recorder: Recorder, name: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const point of await recorder.points()) {
    if (point.name === name) out[JSON.stringify(point.attributes)] = point.value;
  }
  return out;
}

const USER = 'user-5c1b9e-telemetry';
let f: MemoryKitFixture;
let codec: RefreshTokenCodec;

beforeAll(async () => {
  f = await createMemoryKitFixture();
  codec = await RefreshTokenCodec.create(utf8(TEST_SECRET));
});
afterAll(async () => {
  await f?.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function recordedKit(
  more: Partial<AuthKitOptions> = {},
): Promise<{ kit: AuthKit; recorder: Recorder }> {
  const recorder = createRecorder();
  return { kit: await f.makeKit({ telemetry: recorder.telemetry, ...more }), recorder };
}

describe('spans', () => {
  it('nest each store call of a refresh under its kit.refresh span', async () => {
    const { kit, recorder } = await recordedKit();
    const first = await kit.createSession({ userId: USER });
    const second = await kit.refresh(first.refreshToken);
    await kit.refresh(second.refreshToken);
    const before = recorder.spans().length;
    // An old token: rotate fails, find, the chain walk's fresh find, then the revocation.
    await expect(kit.refresh(first.refreshToken)).rejects.toMatchObject({ code: 'ERR_REFRESH_TOKEN_REUSED' });

    const spans = recorder.spans().slice(before);
    const refresh = spans.at(-1);
    expect(refresh?.name).toBe('kit.refresh');
    expect(refresh?.parentSpanContext).toBeUndefined();
    expect(refresh?.attributes).toEqual({
      'kit.session.id': first.session.id,
      'kit.refresh.outcome': 'reused',
      'kit.error.code': 'ERR_REFRESH_TOKEN_REUSED',
    });
    const children = spans.slice(0, -1);
    expect(children.map((span) => span.name)).toEqual([
      'kit.store.rotate',
      'kit.store.find',
      'kit.store.find',
      'kit.store.revoke',
    ]);
    for (const child of children) {
      expect(child.parentSpanContext?.spanId).toBe(refresh?.spanContext().spanId);
      expect(child.spanContext().traceId).toBe(refresh?.spanContext().traceId);
      expect(child.attributes['kit.store.operation']).toBe(child.name.slice('kit.store.'.length));
    }
  });

  it('wrap createSession in kit.session.create, with its insert nested', async () => {
    const { kit, recorder } = await recordedKit();
    const { session } = await kit.createSession({ userId: USER });
    const [insert, create] = recorder.spans();
    expect(create?.name).toBe('kit.session.create');
    expect(create?.attributes).toEqual({ 'kit.session.id': session.id });
    expect(insert?.name).toBe('kit.store.insert');
    expect(insert?.parentSpanContext?.spanId).toBe(create?.spanContext().spanId);
  });

  it('carry no token, secret, hash or user id, in spans or metric attributes', async () => {
    const { kit, recorder } = await recordedKit();
    const tokens: string[] = [];
    const first = await kit.createSession({ userId: USER, userAgent: 'agent', ip: '192.0.2.1' });
    tokens.push(first.refreshToken);
    const second = await kit.refresh(first.refreshToken, { userAgent: 'agent', ip: '192.0.2.1' });
    tokens.push(second.refreshToken);
    tokens.push((await kit.refresh(first.refreshToken)).refreshToken); // grace
    f.clock.advance(11_000);
    await kit.refresh(first.refreshToken).catch(() => undefined); // reuse: revoked
    await kit.refresh(second.refreshToken).catch(() => undefined); // revoked
    const other = await kit.createSession({ userId: USER });
    tokens.push(other.refreshToken);
    await kit.sessions.revokeAll(USER, { reason: 'password_changed' });
    await kit.revokeRefreshToken(other.refreshToken);

    const forbidden = [USER];
    for (const token of tokens) {
      const { secret } = await codec.decode(token);
      const hash = await sha256(secret);
      forbidden.push(token, token.slice('kit_rt_'.length), encodeBase64url(secret), encodeBase64url(hash));
      forbidden.push(Buffer.from(secret).toString('hex'), Buffer.from(hash).toString('hex'));
    }
    const spans = recorder.spans();
    const points = await recorder.points();
    const recorded = JSON.stringify([
      spans.map((span) => [span.name, span.attributes, span.events, span.status, span.links]),
      points.map((point) => point.attributes),
    ]);
    for (const value of forbidden) expect(recorded).not.toContain(value);
    // Only these attributes exist at all.
    const spanKeys = new Set(spans.flatMap((span) => Object.keys(span.attributes)));
    expect([...spanKeys].sort()).toEqual([
      'kit.error.code',
      'kit.refresh.outcome',
      'kit.session.id',
      'kit.store.operation',
    ]);
    const metricKeys = new Set(points.flatMap((point) => Object.keys(point.attributes)));
    expect([...metricKeys].sort()).toEqual(['operation', 'outcome', 'reason']);
  });
});

describe('session counters and store durations', () => {
  it('count sessions created', async () => {
    const { kit, recorder } = await recordedKit();
    await kit.createSession({ userId: USER });
    await kit.createSession({ userId: USER });
    await expect(kit.createSession({ userId: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    expect(await reading(recorder, 'kit.sessions.created')).toEqual({ '{}': 2 });
  });

  it('count each session revoked, by a bounded reason', async () => {
    const { kit, recorder } = await recordedKit();
    const user = `${USER}-revoked`; // no session of another test
    const open = () => kit.createSession({ userId: user });
    await kit.sessions.revoke((await open()).session.id);
    await kit.sessions.revoke((await open()).session.id, { reason: 'compromised' });
    await kit.sessions.revoke((await open()).session.id, { reason: 'some_reason_of_the_host' });
    await kit.revokeRefreshToken((await open()).refreshToken);
    const reused = await open();
    await kit.refresh(reused.refreshToken);
    f.clock.advance(11_000);
    await kit.refresh(reused.refreshToken).catch(() => undefined);
    const kept = await open();
    await open();
    await open();
    expect(
      await kit.sessions.revokeAll(user, { except: kept.session.id, reason: 'admin_revoked' }),
    ).toHaveLength(2);
    // Already revoked: nothing more is counted.
    expect(await kit.sessions.revoke(reused.session.id)).toBeNull();
    expect(await kit.sessions.revokeAll(user, { except: kept.session.id })).toHaveLength(0);

    expect(await reading(recorder, 'kit.sessions.revoked')).toEqual({
      '{"reason":"revoked"}': 1,
      '{"reason":"compromised"}': 1,
      '{"reason":"other"}': 1,
      '{"reason":"logout"}': 1,
      '{"reason":"refresh_token_reused"}': 1,
      '{"reason":"admin_revoked"}': 2,
    });
  });

  it('time each store call by operation', async () => {
    const { kit, recorder } = await recordedKit();
    const { refreshToken } = await kit.createSession({ userId: USER });
    await kit.refresh(refreshToken);
    await kit.refresh(refreshToken); // grace: rotate fails, find, touch
    await kit.sessions.list(USER);
    await kit.sessions.purgeExpired();
    expect(await reading(recorder, 'kit.store.duration')).toEqual({
      '{"operation":"insert"}': 1,
      '{"operation":"rotate"}': 2,
      '{"operation":"find"}': 1,
      '{"operation":"touch"}': 1,
      '{"operation":"list"}': 1,
      '{"operation":"lock_purge"}': 1,
      '{"operation":"purge"}': 1,
    });
  });

  it('keep the optional store methods the store has, and only those', async () => {
    const {
      find,
      insert,
      rotate,
      touch,
      list,
      count,
      revoke,
      revokeByUser,
      updateData,
      updateExpiry,
      purge,
    } = f.store;
    const bare: SessionStore = {
      ...{ find, insert, rotate, touch, list, count, revoke, revokeByUser, updateData, updateExpiry, purge },
    };
    const { kit, recorder } = await recordedKit({ store: bare });
    await expect(kit.checkReady()).resolves.toMatchObject({ ready: true });
    await expect(kit.revocations()).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
    // Without ping, readiness reads one session.
    expect(await reading(recorder, 'kit.store.duration')).toEqual({ '{"operation":"find"}': 1 });
  });
});

describe('a kit with telemetry off', () => {
  it('records nothing and reads no clock for it, even with global providers registered', async () => {
    const global = createRecorder();
    otel.metrics.setGlobalMeterProvider(global.telemetry.meterProvider);
    otel.trace.setGlobalTracerProvider(global.telemetry.tracerProvider);
    try {
      const exercise = async (kit: AuthKit) => {
        const clock = vi.spyOn(performance, 'now');
        const { refreshToken, session } = await kit.createSession({ userId: USER });
        await kit.refresh(refreshToken);
        await kit.refresh(refreshToken);
        await kit.sessions.revoke(session.id);
        await kit.refresh(refreshToken).catch(() => undefined);
        const reads = clock.mock.calls.length;
        clock.mockRestore();
        return reads;
      };
      expect(await exercise(await f.makeKit({ telemetry: false }))).toBe(0);
      expect(await global.points()).toEqual([]);
      expect(global.spans()).toEqual([]);
      // The same calls on a kit that reports to the globals record, and read the clock.
      expect(await exercise(await f.makeKit())).toBeGreaterThan(0);
      expect(await global.points()).not.toEqual([]);
      expect(global.spans()).not.toEqual([]);
    } finally {
      otel.metrics.disable();
      otel.trace.disable();
    }
  });
});

describe('logging', () => {
  it('logs a failed pruner run of the kit through its logger, with the code only', async () => {
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const print = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { refreshToken } = await f.kit.createSession({ userId: USER });
    const failure = Object.assign(new KitStoreUnavailableError(), { message: `lost ${refreshToken}` });
    const store: SessionStore = { ...f.store, purge: () => Promise.reject(failure) };
    const kit = await f.makeKit({ store, logger, telemetry: false });
    const pruner = kit.startPruner({ interval: '1h' });
    await expect(pruner.runNow()).rejects.toBe(failure);
    await pruner.stop();
    expect(logger.error.mock.calls).toEqual([
      [{ code: 'ERR_STORE_UNAVAILABLE' }, 'kit: session pruning failed'],
    ]);
    expect(JSON.stringify(logger.error.mock.calls)).not.toContain(refreshToken.slice(7));
    // The pruner's own logger option wins; without any logger nothing is written.
    const own = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const ownPruner = kit.startPruner({ logger: own });
    await ownPruner.runNow().catch(() => undefined);
    await ownPruner.stop();
    expect(own.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledTimes(1);
    const silent = await f.makeKit({ store, telemetry: false });
    const silentPruner = silent.startPruner();
    await silentPruner.runNow().catch(() => undefined);
    await silentPruner.stop();
    expect(print).not.toHaveBeenCalled();
  });
});
