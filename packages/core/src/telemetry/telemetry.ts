import { errorFields } from './logger.ts';
import type {
  OpenTelemetryApi,
  OpenTelemetryMeter,
  OpenTelemetrySpan,
  OpenTelemetryTracer,
  TelemetryAttributes,
} from './open-telemetry-api.ts';

/** A counter as the kit uses it. @internal */
export interface TelemetryCounter {
  add(value: number, attributes?: TelemetryAttributes): void;
}

/** A histogram as the kit uses it; durations are recorded in seconds. @internal */
export interface TelemetryHistogram {
  record(value: number, attributes?: TelemetryAttributes): void;
}

/** The span a {@link Telemetry.span} callback runs in. @internal */
export interface TelemetrySpan {
  setAttribute(key: string, value: string | number | boolean): void;
}

/**
 * How the kit reports: instruments and spans, either through OpenTelemetry or nowhere. Built once
 * per kit or verifier by `loadTelemetry`; every instrument is created then, never on a hot path.
 *
 * @internal
 */
export interface Telemetry {
  /** False when nothing is recorded: callers skip their clock reads. */
  readonly enabled: boolean;
  counter(name: string, description: string): TelemetryCounter;
  /** The meter behind {@link Telemetry.counter}, for instruments made elsewhere (`createTally`). */
  readonly meter?: OpenTelemetryMeter;
  /** A histogram of durations in seconds, with buckets from 0.5 ms to 10 s. */
  histogram(name: string, description: string): TelemetryHistogram;
  /**
   * Runs `fn` in a span named `name`, ended when `fn` settles. A rejection marks the span as an
   * error with the error's code as `kit.error.code` (never its message). `parent` nests the span
   * under another without relying on a context manager (none exists at the edge). A span the SDK
   * does not record (a trace its sampler left out) has nothing to end or mark: `fn`'s own promise
   * is returned then, with no frame waiting on it.
   */
  span<T>(
    name: string,
    attributes: TelemetryAttributes,
    fn: (span: TelemetrySpan) => Promise<T>,
    parent?: TelemetrySpan,
  ): Promise<T>;
  /**
   * Whether {@link Telemetry.span} under `parent` would start a span: false with no tracer, and
   * under a kit span the SDK does not record. A caller that only times its work skips the span
   * wrapper then.
   */
  startsSpan(parent?: TelemetrySpan): boolean;
}

const NOOP_INSTRUMENT = Object.freeze({ add() {}, record() {} });
const NOOP_SPAN: TelemetrySpan = Object.freeze({ setAttribute() {} });

/** Records nothing and costs a function call. @internal */
export const noopTelemetry: Telemetry = Object.freeze({
  enabled: false,
  counter: () => NOOP_INSTRUMENT,
  histogram: () => NOOP_INSTRUMENT,
  span: <T>(_name: string, _attributes: TelemetryAttributes, fn: (span: TelemetrySpan) => Promise<T>) =>
    fn(NOOP_SPAN),
  startsSpan: () => false,
});

/** Buckets for durations in seconds: a refresh takes about a millisecond, an outage up to the timeout. */
export const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const SPAN_STATUS_ERROR = 2;

/**
 * Holds the OpenTelemetry span behind a {@link TelemetrySpan}, whether the SDK records it, and the
 * context its children start in (computed once, on the first child).
 */
class OtelSpanHandle implements TelemetrySpan {
  #context: unknown;
  readonly recording: boolean;
  constructor(
    readonly span: OpenTelemetrySpan,
    private readonly api: OpenTelemetryApi,
    private readonly parentContext: unknown,
  ) {
    let recording = true;
    try {
      recording = span.isRecording();
    } catch {
      // An SDK that cannot say: treat the span as recorded, as before.
    }
    this.recording = recording;
  }
  /** The parent's context with this span set in it: where a child span starts. */
  get context(): unknown {
    this.#context ??= this.api.trace.setSpan(this.parentContext, this.span);
    return this.#context;
  }
  setAttribute(key: string, value: string | number | boolean): void {
    if (!this.recording) return;
    try {
      this.span.setAttribute(key, value);
    } catch {
      // The SDK failed: the attribute is lost, the operation is not.
    }
  }
}

/**
 * {@link Telemetry} on top of `@opentelemetry/api`: a meter and a tracer named `scope`, from the
 * given providers or else the global ones as registered by the host's SDK when this is called. (The metrics API has no
 * proxy provider: an SDK registered later is not seen, so the SDK is set up before the kit.)
 *
 * Spans nest by explicit parent and start under the context active when the kit is called (the
 * host's request span). With `activeSpans`, each span is also made the active one while it runs
 * (`context.with`), so spans of instrumented libraries (`pg`) nest under the kit's store spans; on
 * Node that switches on the context manager's async hooks for every promise of the process, which
 * is most of what an SDK costs the kit when nothing else in the host uses them.
 *
 * @internal
 */
export function createOpenTelemetry(
  api: OpenTelemetryApi,
  scope: string,
  meterProvider: { getMeter(name: string): OpenTelemetryMeter } = api.metrics,
  tracerProvider: { getTracer(name: string): OpenTelemetryTracer } = api.trace,
  activeSpans = false,
): Telemetry {
  const meter = meterProvider.getMeter(scope);
  const tracer = tracerProvider.getTracer(scope);
  // With the API installed but no SDK registered, the meter is the API's no-op singleton and the
  // tracer a ProxyTracer with nothing behind it: then the kit does not even time, wrap or start
  // spans, so the API alone costs nothing. (An SDK registered later is not seen: set it up first.)
  const recordsMetrics = !(typeof api.createNoopMeter === 'function' && meter === api.createNoopMeter());
  const recordsSpans = !(typeof api.ProxyTracer === 'function' && tracer instanceof api.ProxyTracer);
  if (!recordsMetrics && !recordsSpans) return noopTelemetry;
  // One options object per attribute set (the kit passes frozen constants), not one per span.
  const spanOptions = new WeakMap<TelemetryAttributes, { attributes: TelemetryAttributes }>();
  const optionsFor = (attributes: TelemetryAttributes) => {
    let options = spanOptions.get(attributes);
    if (options === undefined) {
      options = { attributes };
      spanOptions.set(attributes, options);
    }
    return options;
  };
  // Every call into the SDK is guarded: an SDK that throws must never fail a refresh or a session
  // whose work is already committed; the kit then records less, and answers as it would without it.
  return {
    enabled: true,
    counter: (name, description) => guardedCounter(() => meter.createCounter(name, { description })),
    histogram: (name, description) =>
      guardedHistogram(() =>
        meter.createHistogram(name, {
          description,
          unit: 's',
          advice: { explicitBucketBoundaries: DURATION_BUCKETS },
        }),
      ),
    startsSpan: (parent) => recordsSpans && !(parent instanceof OtelSpanHandle && !parent.recording),
    meter,
    span<T>(
      name: string,
      attributes: TelemetryAttributes,
      fn: (span: TelemetrySpan) => Promise<T>,
      parent?: TelemetrySpan,
    ): Promise<T> {
      if (!recordsSpans) return fn(NOOP_SPAN);
      // Under a kit span the SDK does not record (a trace the sampler left out), a kit span is not
      // started: every standard sampler, the default parent-based one first, would leave it out
      // too, and starting it costs ids, a sampling decision and a context for nothing. Its work
      // runs under the parent's handle, whose attributes go nowhere.
      if (parent instanceof OtelSpanHandle && !parent.recording) return fn(parent);
      let handle: OtelSpanHandle;
      try {
        const parentContext = parent instanceof OtelSpanHandle ? parent.context : api.context.active();
        // The kind is left to its default, INTERNAL.
        const span = tracer.startSpan(name, optionsFor(attributes), parentContext);
        handle = new OtelSpanHandle(span, api, parentContext);
      } catch {
        return fn(NOOP_SPAN);
      }
      // Most spans are left out by the sampler: ending or marking one does nothing, so nothing
      // waits on `fn`. (With `activeSpans` it is still made active: libraries' spans under it are
      // then left out too, rather than starting traces of their own.)
      if (!handle.recording && !activeSpans) return fn(handle);
      return runInSpan(api, handle, fn, activeSpans);
    },
  };
}

/** Runs `fn` in `handle`'s span (made active with `activeSpans`) and ends the span when it settles. */
async function runInSpan<T>(
  api: OpenTelemetryApi,
  handle: OtelSpanHandle,
  fn: (span: TelemetrySpan) => Promise<T>,
  activeSpans: boolean,
): Promise<T> {
  try {
    if (!activeSpans) return await fn(handle);
    let ran = false;
    const run = () => {
      ran = true;
      return fn(handle);
    };
    let result: Promise<T>;
    try {
      result = api.context.with(handle.context, run);
    } catch (error) {
      if (ran) throw error;
      result = run(); // the context manager failed before running fn: run it outside
    }
    return await result;
  } catch (error) {
    quietly(() => {
      handle.span.setAttribute('kit.error.code', errorFields(error).code);
      handle.span.setStatus({ code: SPAN_STATUS_ERROR });
    });
    throw error;
  } finally {
    try {
      handle.span.end();
    } catch {
      // The SDK failed: the span is lost, the operation is not.
    }
  }
}

function quietly(call: () => unknown): void {
  try {
    call();
  } catch {
    // The SDK failed: the measurement is lost, the operation is not.
  }
}

function guardedCounter(create: () => TelemetryCounter): TelemetryCounter {
  let counter: TelemetryCounter;
  try {
    counter = create();
  } catch {
    return NOOP_INSTRUMENT;
  }
  return {
    add(value, attributes) {
      try {
        counter.add(value, attributes);
      } catch {
        // The SDK failed: the measurement is lost, the operation is not.
      }
    },
  };
}

function guardedHistogram(create: () => TelemetryHistogram): TelemetryHistogram {
  let histogram: TelemetryHistogram;
  try {
    histogram = create();
  } catch {
    return NOOP_INSTRUMENT;
  }
  return {
    record(value, attributes) {
      try {
        histogram.record(value, attributes);
      } catch {
        // The SDK failed: the measurement is lost, the operation is not.
      }
    },
  };
}
