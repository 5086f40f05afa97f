/**
 * What tests of the kit's counters share: a meter provider of the OpenTelemetry SDK read on demand,
 * passed as the `telemetry` option, so nothing global is touched. (The logger that keeps its lines,
 * `createTestLogger`, is in the root entry.)
 *
 * @module
 */
import * as otel from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

/** Collects when asked, as a Prometheus scrape does. */
class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One data point of a counter, as {@link TestMetrics.points} lists it. */
export interface TestMetricPoint {
  /** The instrumentation scope: `@kit/core` or `@kit/core/verify`. */
  scope: string;
  name: string;
  attributes: Record<string, unknown>;
  value: number;
}

/** A meter provider of its own and what it recorded. */
export interface TestMetrics {
  /** The `telemetry` option that reports here. */
  telemetry: { api: typeof otel; meterProvider: MeterProvider };
  /** Every data point recorded so far (cumulative). */
  points(): Promise<TestMetricPoint[]>;
  /** The counter `name`'s totals by its `outcome` attribute: `{ valid: 2, ERR_JWT_EXPIRED: 1 }`. */
  outcomes(name: string): Promise<Record<string, number>>;
}

/**
 * A meter provider read on demand, for the `telemetry` option of the kit or a verifier.
 *
 * @example
 * ```ts
 * const metrics = createTestMetrics();
 * const verify = createVerifier({ ...options, telemetry: metrics.telemetry });
 * await verify(token);
 * expect(await metrics.outcomes('kit.verifications')).toEqual({ valid: 1 });
 * ```
 */
export function createTestMetrics(): TestMetrics {
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const points = async (): Promise<TestMetricPoint[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) =>
        metric.dataPoints.map((point) => ({
          scope: scope.scope.name,
          name: metric.descriptor.name,
          attributes: { ...point.attributes },
          value: point.value as number,
        })),
      ),
    );
  };
  return {
    telemetry: { api: otel, meterProvider },
    points,
    async outcomes(name) {
      const totals: Record<string, number> = {};
      for (const point of await points()) {
        if (point.name !== name) continue;
        const outcome = String(point.attributes.outcome);
        totals[outcome] = (totals[outcome] ?? 0) + point.value;
      }
      return totals;
    },
  };
}
