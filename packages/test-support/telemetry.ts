/**
 * What tests of the kit's reporting share: a meter provider of the OpenTelemetry SDK read on demand
 * (passed as the `telemetry` option, so nothing global is touched), and a logger that keeps its
 * lines.
 *
 * @module
 */
import type { KitLogger } from '@kit/core';
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

/** One line a {@link createTestLogger} logger received. */
export interface TestLogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/**
 * A {@link KitLogger} that keeps every line, for tests of what is logged.
 *
 * @example
 * ```ts
 * const { logger, lines } = createTestLogger();
 * createVerifier({ ...options, logger });
 * expect(lines).toEqual([]);
 * ```
 */
export function createTestLogger(): { logger: KitLogger; lines: TestLogLine[] } {
  const lines: TestLogLine[] = [];
  const keep = (level: TestLogLine['level']) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return { logger: { info: keep('info'), warn: keep('warn'), error: keep('error') }, lines };
}
