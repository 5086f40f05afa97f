/**
 * The floor of what an OpenTelemetry SDK costs a refresh: the SDK calls the kit's telemetry makes
 * per `kit.refresh`, made by hand around a kit whose own telemetry is off, with nothing of the
 * kit's in between. Against it, the kit's instrumentation shows what its own layers add; against a
 * kit with no telemetry, it shows what the SDK itself costs for the instruments and spans the
 * contract asks for.
 *
 * Per refresh, as the kit makes them: a root span `kit.refresh` (its sampler decides), a child
 * `kit.store.rotate` when that one is recorded, the session id and the outcome as attributes of a
 * recorded span, one `kit.store.duration` and one `kit.refresh.duration` record with their
 * attribute, four clock reads. `kit.refreshes` is kept by the kit as plain counts and read at
 * collection, so it makes no SDK call per refresh here either.
 */
import type { AuthKit } from '@kit/core';
import * as otel from '@opentelemetry/api';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `kit` (telemetry off) with its `refresh` making the SDK calls of the kit's own telemetry. */
export function withSdkCallsOnly(
  kit: AuthKit,
  meterProvider: otel.MeterProvider,
  tracerProvider: otel.TracerProvider,
): AuthKit {
  const meter = meterProvider.getMeter('@kit/core');
  const tracer = tracerProvider.getTracer('@kit/core');
  const advice = { explicitBucketBoundaries: BUCKETS };
  const refreshDuration = meter.createHistogram('kit.refresh.duration', { unit: 's', advice });
  const storeDuration = meter.createHistogram('kit.store.duration', { unit: 's', advice });
  const rotated = Object.freeze({ outcome: 'rotated' });
  const rotate = Object.freeze({ operation: 'rotate' });
  const spanOptions = { attributes: {} };
  const childOptions = { attributes: { 'kit.store.operation': 'rotate' } };
  const refresh: AuthKit['refresh'] = async (token, options) => {
    const parent = otel.context.active();
    const span = tracer.startSpan('kit.refresh', spanOptions, parent);
    const start = performance.now();
    const child = span.isRecording()
      ? tracer.startSpan('kit.store.rotate', childOptions, otel.trace.setSpan(parent, span))
      : undefined;
    const storeStart = performance.now();
    const tokens = await kit.refresh(token, options);
    // The store call's record, of the whole refresh here: the same call with another value.
    storeDuration.record((performance.now() - storeStart) / 1000, rotate);
    if (child) {
      child.end();
      span.setAttribute('kit.session.id', tokens.session.id);
      span.setAttribute('kit.refresh.outcome', 'rotated');
      span.end();
    }
    refreshDuration.record((performance.now() - start) / 1000, rotated);
    return tokens;
  };
  return Object.assign(Object.create(kit) as AuthKit, { refresh });
}
