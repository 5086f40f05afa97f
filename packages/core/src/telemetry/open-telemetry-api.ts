/**
 * The part of `@opentelemetry/api` the kit uses, written out so that the kit's type declarations do
 * not import the optional peer: `typeof import('@opentelemetry/api')` (the namespace, as
 * `import * as otel from '@opentelemetry/api'` gives it) satisfies it.
 *
 * Pass it as the `telemetry` option where the kit cannot find the package by itself: in a bundle
 * (an edge function, a single-file server), where `import('@opentelemetry/api')` is resolved at
 * build time and so is not attempted by the kit.
 *
 * @example
 * ```ts
 * import * as otel from '@opentelemetry/api';
 * import { createVerifier } from '@kit/core/verify';
 *
 * const verify = createVerifier({ issuer, audience, jwksUrl, telemetry: otel });
 * ```
 */
export interface OpenTelemetryApi {
  readonly metrics: { getMeter(name: string, version?: string): OpenTelemetryMeter };
  readonly trace: {
    getTracer(name: string, version?: string): OpenTelemetryTracer;
    setSpan(context: unknown, span: OpenTelemetrySpan): unknown;
  };
  readonly context: {
    active(): unknown;
    with<R>(context: unknown, fn: () => R): R;
  };
  /** The API's no-op meter: a meter that is this one means no SDK records metrics. */
  readonly createNoopMeter?: () => unknown;
  /** The tracer handed out while no SDK is registered. */
  readonly ProxyTracer?: abstract new (
    ...args: never[]
  ) => unknown;
}

/** Attribute values the kit records: strings, numbers and booleans only. */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/** @internal */
export interface OpenTelemetryMeter {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): { add(value: number, attributes?: TelemetryAttributes): void };
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): { record(value: number, attributes?: TelemetryAttributes): void };
  /** Absent from meters of hosts' own making: the kit then counts with {@link createCounter}. */
  createObservableCounter?(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    addCallback(
      callback: (result: { observe(value: number, attributes?: TelemetryAttributes): void }) => void,
    ): void;
  };
}

/** @internal */
export interface OpenTelemetryTracer {
  startSpan(
    name: string,
    options?: { attributes?: TelemetryAttributes; kind?: number },
    context?: unknown,
  ): OpenTelemetrySpan;
}

/** @internal */
export interface OpenTelemetrySpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
  isRecording(): boolean;
}
