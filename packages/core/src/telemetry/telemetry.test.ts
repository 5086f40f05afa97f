import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { KitInvalidOptionsError } from '../errors.ts';
import { findOpenTelemetryApi, loadTelemetry } from './load-telemetry.ts';
import { consoleLogger, errorFields, resolveLogger } from './logger.ts';
import type { OpenTelemetryApi } from './open-telemetry-api.ts';
import { createTally } from './tally.ts';
import { noopTelemetry } from './telemetry.ts';

const spans = new InMemorySpanExporter();
const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 60_000 });

beforeAll(() => {
  otel.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  otel.trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  otel.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});
afterAll(() => {
  otel.trace.disable();
  otel.metrics.disable();
  otel.context.disable();
});

describe('telemetry option', () => {
  it('takes the @opentelemetry/api namespace as it is', () => {
    expectTypeOf(otel).toMatchTypeOf<OpenTelemetryApi>();
  });

  it('finds the optional peer by itself, and is off when told', async () => {
    expect(await findOpenTelemetryApi()).toBeDefined();
    expect((await loadTelemetry(undefined, 'test')).enabled).toBe(true);
    expect(await loadTelemetry(false, 'test')).toBe(noopTelemetry);
  });

  it('takes providers of the host own', async () => {
    const own = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const ownReader = new PeriodicExportingMetricReader({ exporter: own, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [ownReader] });
    const telemetry = await loadTelemetry({ api: otel, meterProvider }, 'test');
    telemetry.counter('own.count', 'a count').add(1);
    await ownReader.forceFlush();
    expect(own.getMetrics()[0]?.scopeMetrics[0]?.metrics[0]?.descriptor.name).toBe('own.count');
    await expect(loadTelemetry({ api: otel, meterProvider: {} }, 'test')).rejects.toBeInstanceOf(
      KitInvalidOptionsError,
    );
  });

  it('refuses anything else', async () => {
    for (const bad of [null, true, 'otel', {}, { metrics: {} }]) {
      await expect(loadTelemetry(bad, 'test')).rejects.toBeInstanceOf(KitInvalidOptionsError);
    }
  });

  it('nests spans under an explicit parent and marks failures with the code only', async () => {
    spans.reset();
    const telemetry = await loadTelemetry(otel, 'test');
    const failure = Object.assign(new Error('secret material'), { code: 'ERR_SOMETHING' });
    await expect(
      telemetry.span('outer', { a: 1 }, (outer) =>
        telemetry.span('inner', {}, async () => Promise.reject(failure), outer),
      ),
    ).rejects.toBe(failure);
    const [inner, outer] = spans.getFinishedSpans();
    expect(inner?.name).toBe('inner');
    expect(outer?.name).toBe('outer');
    expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
    expect(inner?.attributes['kit.error.code']).toBe('ERR_SOMETHING');
    expect(inner?.status.code).toBe(otel.SpanStatusCode.ERROR);
    expect(JSON.stringify([inner?.attributes, inner?.status, inner?.events])).not.toContain('secret');
  });

  it('starts under the host span but leaves it active, unless told to make its own active', async () => {
    spans.reset();
    const host = otel.trace.getTracer('host');
    const seen: Record<string, string | undefined> = {};
    for (const [label, option] of [
      ['default', otel],
      ['active', { api: otel, activeSpans: true }],
    ] as const) {
      const telemetry = await loadTelemetry(option, 'test');
      await host.startActiveSpan(`request-${label}`, async (request) => {
        await telemetry.span(`kit-${label}`, {}, async (kit) =>
          telemetry.span(
            `child-${label}`,
            {},
            async () => {
              seen[label] = otel.trace.getActiveSpan()?.spanContext().spanId;
            },
            kit,
          ),
        );
        request.end();
      });
    }
    const byName = new Map(spans.getFinishedSpans().map((span) => [span.name, span]));
    for (const label of ['default', 'active']) {
      const request = byName.get(`request-${label}`);
      const kit = byName.get(`kit-${label}`);
      const child = byName.get(`child-${label}`);
      expect(kit?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
      expect(child?.parentSpanContext?.spanId).toBe(kit?.spanContext().spanId);
      expect(child?.spanContext().traceId).toBe(request?.spanContext().traceId);
      // Inside the child: the request's span by default; the child itself when asked.
      expect(seen[label]).toBe((label === 'default' ? request : child)?.spanContext().spanId);
    }
    await expect(loadTelemetry({ api: otel, activeSpans: 'yes' }, 'test')).rejects.toBeInstanceOf(
      KitInvalidOptionsError,
    );
  });

  it('starts no span under a kit span the sampler left out, and records nothing of it', async () => {
    const exported = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
      spanProcessors: [new SimpleSpanProcessor(exported)],
    });
    const started: string[] = [];
    const tracerProvider = {
      getTracer(name: string) {
        const tracer = provider.getTracer(name);
        return {
          startSpan(spanName: string, options?: otel.SpanOptions, context?: otel.Context) {
            started.push(spanName);
            return tracer.startSpan(spanName, options, context);
          },
        };
      },
    };
    const telemetry = await loadTelemetry({ api: otel, tracerProvider }, 'test');
    const result = await telemetry.span('outer', {}, (outer) =>
      telemetry.span(
        'inner',
        {},
        async (inner) => {
          inner.setAttribute('kit.session.id', 'abc');
          return telemetry.span('innermost', {}, async () => 'done', inner);
        },
        outer,
      ),
    );
    expect(result).toBe('done');
    // The root asks the sampler; what nests under a span it left out is not even started.
    expect(started).toEqual(['outer']);
    expect(exported.getFinishedSpans()).toEqual([]);
    // A failure under it still reaches the caller untouched.
    const failure = new Error('x');
    await expect(
      telemetry.span('outer', {}, (outer) =>
        telemetry.span('inner', {}, () => Promise.reject(failure), outer),
      ),
    ).rejects.toBe(failure);
    await provider.shutdown();
  });

  it('records counters and second histograms through the global meter', async () => {
    const telemetry = await loadTelemetry(otel, 'test');
    telemetry.counter('test.count', 'a count').add(2, { outcome: 'x' });
    telemetry.histogram('test.duration', 'a duration').record(0.002);
    await reader.forceFlush();
    const names = metrics
      .getMetrics()
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)));
    expect(names).toEqual(expect.arrayContaining(['test.count', 'test.duration']));
  });

  /** The data points of `name`, by outcome, in a fresh cumulative collection through `read`. */
  const pointsOf = async (
    read: PeriodicExportingMetricReader,
    exporter: InMemoryMetricExporter,
    name: string,
  ) => {
    exporter.reset();
    await read.forceFlush();
    const metric = exporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      .find((m) => m.descriptor.name === name);
    return Object.fromEntries(
      (metric?.dataPoints ?? []).map((p) => [String(p.attributes.outcome), p.value as number]),
    );
  };

  it('keeps tallies as one counter per meter: kits on the same meter add up, each collection reads them', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const read = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [read] });
    const first = createTally(
      await loadTelemetry({ api: otel, meterProvider }, 'test'),
      'test.tally',
      'd',
      'outcome',
    );
    const second = createTally(
      await loadTelemetry({ api: otel, meterProvider }, 'test'),
      'test.tally',
      'd',
      'outcome',
    );
    first.add('rotated');
    first.add('rotated');
    second.add('rotated');
    second.add('reused');
    expect(await pointsOf(read, exporter, 'test.tally')).toEqual({ rotated: 3, reused: 1 });
    first.add('reused');
    expect(await pointsOf(read, exporter, 'test.tally')).toEqual({ rotated: 3, reused: 2 });
    await meterProvider.shutdown();
  });

  it('counts a tally through a plain counter on a meter without observable counters', async () => {
    const added: [number, unknown][] = [];
    const meterProvider = {
      getMeter: () => ({
        createCounter: () => ({
          add: (value: number, attributes: unknown) => added.push([value, attributes]),
        }),
        createHistogram: () => ({ record() {} }),
      }),
    };
    const tally = createTally(await loadTelemetry({ api: otel, meterProvider }, 'test'), 't', 'd', 'outcome');
    tally.add('rotated');
    tally.add('rotated');
    expect(added).toEqual([
      [1, { outcome: 'rotated' }],
      [1, { outcome: 'rotated' }],
    ]);
  });
});

describe('logger option', () => {
  it('takes a pino-shaped logger and refuses other values', () => {
    const lines: string[] = [];
    const logger = resolveLogger({ info() {}, warn() {}, error: (_f: object, m: string) => lines.push(m) });
    logger.error({ code: 'ERR_X' }, 'kit: x');
    expect(lines).toEqual(['kit: x']);
    expect(() => resolveLogger({ info() {}, warn() {} })).toThrow(KitInvalidOptionsError);
    expect(() => resolveLogger(console.error)).toThrow(KitInvalidOptionsError);
  });

  it('consoleLogger writes one JSON line per entry to standard error', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      consoleLogger.warn({ code: 'ERR_X' }, 'kit: x');
      expect(spy).toHaveBeenCalledTimes(1);
      expect(JSON.parse(String(spy.mock.calls[0]?.[0]))).toMatchObject({
        level: 'warn',
        code: 'ERR_X',
        msg: 'kit: x',
      });
    } finally {
      spy.mockRestore();
    }
  });

  it('never lets a throwing logger reach the caller', () => {
    const throwing = () => {
      throw new Error('logger down');
    };
    const logger = resolveLogger({ info: throwing, warn: throwing, error: throwing });
    expect(() => logger.error({ code: 'ERR_X' }, 'kit: x')).not.toThrow();
    expect(() => logger.warn({ code: 'ERR_X' }, 'kit: x')).not.toThrow();
    expect(() => logger.info({}, 'kit: x')).not.toThrow();
  });

  it('logs a code, never a message', () => {
    expect(errorFields(Object.assign(new Error('token abc'), { code: 'ERR_X' }))).toEqual({ code: 'ERR_X' });
    expect(errorFields(new TypeError('token abc'))).toEqual({ code: 'TypeError' });
    expect(errorFields(Object.assign(new Error('x'), { code: 'has spaces token' }))).toEqual({
      code: 'Error',
    });
  });
});
