import type { TelemetryProviders } from '@kit/core';
import * as otel from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/** The Prometheus text format's content type (version 0.0.4), as `GET /metrics` answers it. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The demo's metrics: a MeterProvider of its own whose one reader is a Prometheus exporter that
 * never opens a port (the demo serves the text at `GET /metrics` itself), and the kit's
 * `telemetry` option that points the kit's instruments at it. Nothing is registered globally, so
 * several demo servers in one process each count their own.
 */
export interface DemoMetrics {
  /** Pass as `createAuthKit`'s `telemetry` option. */
  readonly telemetry: TelemetryProviders;
  /** Collects every instrument now and renders them in the Prometheus text format. */
  render(): Promise<string>;
  /** Stops the provider: instruments record nothing from then on. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Makes the demo's {@link DemoMetrics}. Every series carries `otel_scope_name` (the kit's meter
 * scope, `@kit/core`), and `target_info` names the service `kit-demo`.
 */
export function createDemoMetrics(): DemoMetrics {
  // preventServerStart: the exporter is used as a pull reader only; it must not listen on 9464.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const serializer = new PrometheusSerializer();
  const meterProvider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'kit-demo' }),
    readers: [exporter],
  });
  let stopped: Promise<void> | undefined;
  return {
    telemetry: { api: otel, meterProvider },
    async render() {
      const { resourceMetrics, errors } = await exporter.collect();
      // A failed instrument callback would leave a hole in the answer; refuse it as a whole rather
      // than let a scraper take the hole for a reset.
      if (errors.length > 0) throw errors[0];
      return serializer.serialize(resourceMetrics);
    },
    shutdown() {
      stopped ??= meterProvider.shutdown();
      return stopped;
    },
  };
}
