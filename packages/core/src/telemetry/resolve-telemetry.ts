import { KitInvalidOptionsError } from '../errors/kit-error.ts';
import type { OpenTelemetryApi, OpenTelemetryMeter, OpenTelemetryTracer } from './open-telemetry-api.ts';
import { createOpenTelemetry, noopTelemetry, type Telemetry } from './telemetry.ts';

/**
 * The `telemetry` option of the kit and the verifier: left out, the kit reports through
 * `@opentelemetry/api` when the package can be imported (an optional peer dependency) and to the
 * providers the host's SDK registered (so does `createVerifier` on Node, Bun and Deno; in Workers
 * and browsers it reports nothing unless given the API); `false` turns reporting off; the API
 * namespace itself (`import * as otel from '@opentelemetry/api'`) is used as given, which is the way
 * in a bundle or at the edge.
 */
export type TelemetryOption = OpenTelemetryApi | TelemetryProviders | false;

/**
 * The `telemetry` option with providers of the host's own instead of the global ones: a process
 * that runs two kits, or a test that reads one kit's instruments alone.
 *
 * @example
 * ```ts
 * import * as otel from '@opentelemetry/api';
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 *
 * const meterProvider = new MeterProvider({ readers: [reader] });
 * const kit = await createAuthKit({ ...options, telemetry: { api: otel, meterProvider } });
 * ```
 */
export interface TelemetryProviders {
  api: OpenTelemetryApi;
  /** @default the global one, `api.metrics` */
  meterProvider?: { getMeter(name: string, version?: string): OpenTelemetryMeter };
  /** @default the global one, `api.trace` */
  tracerProvider?: { getTracer(name: string, version?: string): OpenTelemetryTracer };
  /**
   * Makes each of the kit's spans the active one while it runs, so that spans of instrumented
   * libraries (`pg`, `knex`) nest under the kit's store spans instead of beside them under the
   * request's span. Off by default: on Node, entering a context switches on the context manager's
   * `AsyncLocalStorage` hooks for every promise of the process, which measured about 5% of the
   * server CPU of `POST /token` in a host where nothing else used them (an HTTP instrumentation
   * already does; then this costs little more). The kit's own spans nest correctly either way.
   *
   * @default false
   */
  activeSpans?: boolean;
}

/**
 * Resolves a `telemetry` option into the kit's {@link Telemetry}, with meter and tracer named
 * `scope`, for a factory that may be synchronous (`createVerifier`): an invalid option throws
 * {@link KitInvalidOptionsError} here and now; `false` or an API given in the option resolves at
 * once. A left-out option gives the promise of what `find` finds (the optional peer, imported), or
 * the no-op without `find`: the verifier's entry for Workers and browsers does not look for the
 * package, so its bundles hold no dynamic import.
 *
 * @internal
 */
export function resolveTelemetry(
  option: unknown,
  scope: string,
  find?: () => Promise<OpenTelemetryApi | undefined>,
): Telemetry | Promise<Telemetry> {
  if (option === false) return noopTelemetry;
  if (option === undefined) {
    if (find === undefined) return noopTelemetry;
    return find().then((api) => (api ? createOpenTelemetry(api, scope) : noopTelemetry));
  }
  if (isOpenTelemetryApi(option)) return createOpenTelemetry(option, scope);
  const providers = option as Partial<TelemetryProviders> | null;
  if (
    typeof providers === 'object' &&
    providers !== null &&
    isOpenTelemetryApi(providers.api) &&
    (providers.meterProvider === undefined || typeof providers.meterProvider?.getMeter === 'function') &&
    (providers.tracerProvider === undefined || typeof providers.tracerProvider?.getTracer === 'function') &&
    (providers.activeSpans === undefined || typeof providers.activeSpans === 'boolean')
  ) {
    return createOpenTelemetry(
      providers.api,
      scope,
      providers.meterProvider,
      providers.tracerProvider,
      providers.activeSpans,
    );
  }
  throw new KitInvalidOptionsError(
    'The `telemetry` option must be false, the @opentelemetry/api namespace (import * as otel from "@opentelemetry/api"), or { api, meterProvider?, tracerProvider?, activeSpans? } (activeSpans a boolean).',
  );
}

function isOpenTelemetryApi(value: unknown): value is OpenTelemetryApi {
  const api = value as Partial<OpenTelemetryApi> | null;
  return (
    typeof api === 'object' &&
    api !== null &&
    typeof api.metrics?.getMeter === 'function' &&
    typeof api.trace?.getTracer === 'function' &&
    typeof api.trace?.setSpan === 'function' &&
    typeof api.context?.active === 'function' &&
    typeof api.context?.with === 'function'
  );
}
