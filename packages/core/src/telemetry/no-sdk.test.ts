// No SDK is registered in this file: @opentelemetry/api is installed, its globals are the no-ops.
import * as otel from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { loadTelemetry } from './load-telemetry.ts';
import { noopTelemetry } from './telemetry.ts';

describe('the API installed without an SDK', () => {
  it('is the no-op: the kit neither times, wraps its store nor starts spans', async () => {
    expect(await loadTelemetry(undefined, 'test')).toBe(noopTelemetry);
    expect(await loadTelemetry(otel, 'test')).toBe(noopTelemetry);
  });

  it('records spans when only a tracer provider is given, and nothing else changes', async () => {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const telemetry = await loadTelemetry({ api: otel, tracerProvider }, 'test');
    expect(telemetry.enabled).toBe(true);
    await telemetry.span('only-span', {}, async () => 1);
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['only-span']);
  });
});
