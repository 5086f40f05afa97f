/**
 * A real OpenTelemetry SDK for the telemetry figures (telemetry.ts), registered globally the way a
 * host's tracing set-up does it, before the kit is created (the metrics API has no proxy: a meter
 * provider registered after the kit would not be seen).
 *
 * - metrics: `@opentelemetry/sdk-metrics` `MeterProvider` with a `PeriodicExportingMetricReader`
 *   that collects every second (the SDK's default is 60 s, so collection weighs 60 times what it
 *   would by default) into an exporter that only counts what it was handed;
 * - traces: `@opentelemetry/sdk-trace-base` `BasicTracerProvider` (default sampler: every span
 *   recorded) with a `BatchSpanProcessor` (default queue and batch sizes) into an exporter that
 *   only counts the spans;
 * - context: `@opentelemetry/context-async-hooks` `AsyncLocalStorageContextManager`.
 *
 * The exporters discard what they get: serialising and sending are the exporter's cost, the same
 * for any instrumented library, and not what the kit's instrumentation costs.
 */
import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';

/** `ExportResultCode.SUCCESS` of `@opentelemetry/core` (a dependency of the SDK, not of the bench). */
const SUCCESS = 0;

/** How often the reader collects, milliseconds. */
export const METRIC_INTERVAL_MS = 1000;

/** What the discarding exporters were handed so far. */
export interface SdkCounts {
  /** Spans exported by the batch processor. */
  spans: number;
  /** Span names seen, with how many of each. */
  spanNames: Record<string, number>;
  /** Metric collections exported. */
  collections: number;
  /** Names of the instruments in the last collection. */
  metricNames: string[];
}

/** The registered SDK: what it has exported, and its shutdown. */
export interface RegisteredSdk {
  counts(): SdkCounts;
  /** Flushes pending spans and metrics through the exporters. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The parts of the SDK that can be registered (`sdk`: the first three). `sampled` makes the tracer
 * provider keep one root trace in ten (`ParentBasedSampler` over a `TraceIdRatioBasedSampler(0.1)`,
 * the usual production set-up) instead of every span; `pnpm bench` registers `metrics`, `traces`
 * and `sampled`.
 */
export const SDK_PARTS = ['metrics', 'traces', 'context', 'sampled'] as const;

/** What `sdk` stands for: every span recorded. */
const FULL_SDK: readonly SdkPart[] = ['metrics', 'traces', 'context'];

/** The share of root traces the `sampled` part keeps. */
export const SAMPLED_RATIO = 0.1;
export type SdkPart = (typeof SDK_PARTS)[number];

/**
 * The parts named by `value`: `sdk` for all of them, or a comma-separated list of
 * {@link SDK_PARTS} (a diagnostic: which part costs what).
 */
export function parseSdkParts(value: string): Set<SdkPart> {
  if (value === 'sdk') return new Set(FULL_SDK);
  const parts = value.split(',');
  const unknown = parts.filter((part) => !(SDK_PARTS as readonly string[]).includes(part));
  if (unknown.length > 0)
    throw new Error(`Not a part of the SDK: ${unknown.join(', ')} (sdk, or ${SDK_PARTS.join(',')}).`);
  return new Set(parts as SdkPart[]);
}

/**
 * Registers the SDK's meter provider, tracer provider and context manager (or those of `parts`)
 * as the global ones.
 */
export function registerSdk(parts: ReadonlySet<SdkPart> = new Set(FULL_SDK)): RegisteredSdk {
  const counts: SdkCounts = { spans: 0, spanNames: {}, collections: 0, metricNames: [] };
  const spanExporter: SpanExporter = {
    export(spans, done) {
      counts.spans += spans.length;
      for (const span of spans) counts.spanNames[span.name] = (counts.spanNames[span.name] ?? 0) + 1;
      done({ code: SUCCESS });
    },
    shutdown: async () => undefined,
    forceFlush: async () => undefined,
  };
  const metricExporter: PushMetricExporter = {
    export(metrics, done) {
      counts.collections += 1;
      counts.metricNames = metrics.scopeMetrics.flatMap((scope) =>
        scope.metrics.map((metric) => metric.descriptor.name),
      );
      done({ code: SUCCESS });
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: METRIC_INTERVAL_MS,
    exportTimeoutMillis: METRIC_INTERVAL_MS,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(spanExporter)],
    ...(parts.has('sampled')
      ? { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(SAMPLED_RATIO) }) }
      : {}),
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (
    (parts.has('context') && !otel.context.setGlobalContextManager(contextManager)) ||
    (parts.has('traces') && !otel.trace.setGlobalTracerProvider(tracerProvider)) ||
    (parts.has('metrics') && !otel.metrics.setGlobalMeterProvider(meterProvider))
  ) {
    throw new Error('An OpenTelemetry SDK was already registered in this process.');
  }
  return {
    counts: () => structuredClone(counts),
    async flush() {
      await tracerProvider.forceFlush();
      await meterProvider.forceFlush();
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      contextManager.disable();
    },
  };
}
