/**
 * `pnpm --filter @kit/bench telemetry-breakdown`: where the CPU an OpenTelemetry SDK adds to
 * `kit.refresh` goes, one part of the SDK at a time, in one process (diagnostic; `pnpm bench`
 * measures the whole SDK against none in telemetry-cost.ts).
 *
 * Kits of the same options on a store in memory (only the kit's own work, so what telemetry adds
 * weighs most), one caller chaining its session, in alternating rounds:
 *
 * - `off`: `telemetry: false` (no instrument, the store not wrapped);
 * - `kit-layers`: a meter whose instruments record nothing: the kit's own layers (clock reads,
 *   wrappers, the store's measured view) without the SDK's work;
 * - `api`: the `@opentelemetry/api` namespace with no SDK ("no SDK" in `pnpm bench`): the kit sees
 *   the no-op providers and takes the same path as `off`;
 * - `metrics`: the SDK's MeterProvider only (a reader collecting every second);
 * - `traces`: the SDK's tracer provider only (batch span processor, every span sampled);
 * - `sdk`: both, no context manager;
 * - `sdk+context`: both, with the AsyncLocalStorage context manager registered while it runs: the
 *   SDK's own `context.with` (the batch span processor runs each export in one) turns Node's
 *   promise hooks on, which every promise of the process then pays, whatever the kit does.
 * - `sampled`, `sdk-sampled`: `traces` and `sdk` with a tracer provider that keeps one root trace
 *   in ten (`ParentBasedSampler` over `TraceIdRatioBasedSampler(0.1)`).
 * - `sdk-calls`: the kit with `telemetry: false`, its refresh making by hand the SDK calls
 *   `sdk-sampled` makes (sdk-calls.ts): the floor, what the SDK itself costs for them.
 *
 * The context manager is registered before each window of a `+context` variant and disabled after
 * it (which turns the promise hooks off again), so the other variants run without it.
 *
 * Environment: `BENCH_SECONDS` (default 5, measured seconds per variant), `BENCH_WARMUP_SECONDS`
 * (default 1), `BENCH_ROUNDS` (default 5), `BENCH_VARIANTS` (some of the keys above, comma-separated;
 * `api` is always measured, as the baseline).
 */
import os from 'node:os';
import { createAuthKit, generateSecret, generateSigningKeys, type TelemetryOption } from '@kit/core';
import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { createCpuOnlyStore } from './breakdown.ts';
import { positiveEnv } from './env.ts';
import { prepareRounds, type Rounds } from './harness.ts';
import { METRIC_INTERVAL_MS, SAMPLED_RATIO } from './otel-sdk.ts';
import { kitRefresh } from './refresh.ts';
import { withSdkCallsOnly } from './sdk-calls.ts';

const benchSeconds = positiveEnv('BENCH_SECONDS', 5);
const warmupSeconds = positiveEnv('BENCH_WARMUP_SECONDS', 1);
const rounds = Math.max(1, Math.round(positiveEnv('BENCH_ROUNDS', 5)));
const SUCCESS = 0; // ExportResultCode.SUCCESS

let spans = 0;
const meterProvider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: {
        export: (_metrics, done) => done({ code: SUCCESS }),
        forceFlush: async () => undefined,
        shutdown: async () => undefined,
      },
      exportIntervalMillis: METRIC_INTERVAL_MS,
    }),
  ],
});
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [
    new BatchSpanProcessor({
      export(batch, done) {
        spans += batch.length;
        done({ code: SUCCESS });
      },
      shutdown: async () => undefined,
    }),
  ],
});

// The same, keeping one root trace in ten: the usual production set-up.
const sampledTracerProvider = new BasicTracerProvider({
  sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(SAMPLED_RATIO) }),
  spanProcessors: [
    new BatchSpanProcessor({
      export(batch, done) {
        spans += batch.length;
        done({ code: SUCCESS });
      },
      shutdown: async () => undefined,
    }),
  ],
});

interface Variant {
  key: string;
  telemetry: TelemetryOption;
  context?: boolean;
  /** The kit's telemetry is off and its refresh makes the SDK's calls by hand (sdk-calls.ts). */
  sdkCallsOnly?: boolean;
}
// Instruments that record nothing behind a real meter: what the kit's own layers cost (clock
// reads, wrappers, the store view), apart from what the SDK does with a measurement.
const NOTHING = { add() {}, record() {} };
const idleMeterProvider = {
  getMeter: () => ({ createCounter: () => NOTHING, createHistogram: () => NOTHING }),
} as unknown as MeterProvider;

const allVariants: Variant[] = [
  { key: 'off', telemetry: false },
  { key: 'kit-layers', telemetry: { api: otel, meterProvider: idleMeterProvider } },
  { key: 'api', telemetry: otel },
  { key: 'metrics', telemetry: { api: otel, meterProvider } },
  { key: 'traces', telemetry: { api: otel, tracerProvider } },
  { key: 'sdk', telemetry: { api: otel, meterProvider, tracerProvider } },
  { key: 'sdk+context', telemetry: { api: otel, meterProvider, tracerProvider }, context: true },
  { key: 'sampled', telemetry: { api: otel, tracerProvider: sampledTracerProvider } },
  { key: 'sdk-sampled', telemetry: { api: otel, meterProvider, tracerProvider: sampledTracerProvider } },
  { key: 'sdk-calls', telemetry: false, sdkCallsOnly: true },
];
const chosen = process.env.BENCH_VARIANTS?.split(',').filter(Boolean);
const unknown = chosen?.filter((key) => !allVariants.some((v) => v.key === key)) ?? [];
if (unknown.length > 0) throw new Error(`BENCH_VARIANTS: no variant ${unknown.join(', ')}`);
// The `api` variant is the baseline of the table: always measured.
const variants = chosen ? allVariants.filter((v) => v.key === 'api' || chosen.includes(v.key)) : allVariants;

let contextManager: AsyncLocalStorageContextManager | undefined;
const withContext = (on: boolean) => {
  if (on && !contextManager) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    otel.context.setGlobalContextManager(contextManager);
  } else if (!on && contextManager) {
    otel.context.disable(); // disables the manager, whose AsyncLocalStorage turns the hooks off
    contextManager = undefined;
  }
};

const options = {
  issuer: 'https://auth.bench.test',
  audience: 'https://api.bench.test',
  secret: generateSecret(),
  signingKeys: await generateSigningKeys({ alg: 'ES256' }),
  accessTokenTtl: '1h',
} as const;

const prepared: { variant: Variant; rounds: Rounds }[] = [];
for (const variant of variants) {
  const made = await createAuthKit({ ...options, store: createCpuOnlyStore(), telemetry: variant.telemetry });
  const kit = variant.sdkCallsOnly ? withSdkCallsOnly(made, meterProvider, sampledTracerProvider) : made;
  withContext(variant.context === true);
  prepared.push({
    variant,
    rounds: await prepareRounds(
      { concurrency: 1, warmupMs: warmupSeconds * 1000, durationMs: 0 },
      kitRefresh(kit, 1),
    ),
  });
  withContext(false);
}

const loadAtStart = os.loadavg();
for (let round = 0; round < rounds; round++) {
  // Rotate the order each round, so no variant always follows the same one.
  for (let i = 0; i < prepared.length; i++) {
    const { variant, rounds: r } = prepared[(i + round) % prepared.length]!;
    withContext(variant.context === true);
    await r.window((benchSeconds / rounds) * 1000);
    withContext(false);
  }
}
await tracerProvider.forceFlush();

const base = prepared.find((p) => p.variant.key === 'api')!.rounds.result();
console.log('kit.refresh on an in-memory store, 1 caller, CPU of this process per refresh');
console.log('variant        refreshes/s  µs/op  vs api µs  api/variant');
for (const { variant, rounds: r } of prepared) {
  const result = r.result();
  console.log(
    `${variant.key.padEnd(13)}  ${result.opsPerSecond.toFixed(0).padStart(11)}  ${result.processCpuMicrosPerOp.toFixed(1).padStart(5)}  ${(result.processCpuMicrosPerOp - base.processCpuMicrosPerOp).toFixed(1).padStart(9)}  ${(base.processCpuMicrosPerOp / result.processCpuMicrosPerOp).toFixed(3).padStart(11)}`,
  );
}
console.log(
  `spans exported: ${spans}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at end`,
);
await tracerProvider.shutdown();
await meterProvider.shutdown();
