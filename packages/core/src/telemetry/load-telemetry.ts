import { KitInvalidOptionsError } from '../errors/kit-error.ts';
import type { OpenTelemetryApi } from './open-telemetry-api.ts';
import { createOpenTelemetry, noopTelemetry, type Telemetry } from './telemetry.ts';

/**
 * The `telemetry` option of the kit and the verifier: left out, the kit reports through
 * `@opentelemetry/api` when the package can be imported (an optional peer dependency) and to the
 * providers the host's SDK registered; `false` turns reporting off; the API namespace itself
 * (`import * as otel from '@opentelemetry/api'`) is used as given, which is the way in a bundle or at
 * the edge.
 */
export type TelemetryOption = OpenTelemetryApi | false;

// A specifier in a variable: bundlers leave the import to run time instead of failing the build of
// a host that did not install the optional peer.
const API_PACKAGE = '@opentelemetry/api';
let found: Promise<OpenTelemetryApi | undefined> | undefined;

/** Imports `@opentelemetry/api` once per process; undefined when it is not installed. @internal */
export function findOpenTelemetryApi(): Promise<OpenTelemetryApi | undefined> {
  found ??= import(/* @vite-ignore */ API_PACKAGE).then(
    (module: Record<string, unknown>) => {
      const api = (module.metrics ? module : module.default) as OpenTelemetryApi | undefined;
      return api && typeof api.metrics?.getMeter === 'function' ? api : undefined;
    },
    () => undefined,
  );
  return found;
}

/**
 * Resolves a `telemetry` option into the kit's {@link Telemetry}, with meter and tracer named
 * `scope`. Refuses anything that is not `false`, undefined or an OpenTelemetry API.
 *
 * @internal
 */
export async function loadTelemetry(option: unknown, scope: string): Promise<Telemetry> {
  if (option === false) return noopTelemetry;
  if (option === undefined) {
    const api = await findOpenTelemetryApi();
    return api ? createOpenTelemetry(api, scope) : noopTelemetry;
  }
  if (isOpenTelemetryApi(option)) return createOpenTelemetry(option, scope);
  throw new KitInvalidOptionsError(
    'The `telemetry` option must be false or the @opentelemetry/api namespace (import * as otel from "@opentelemetry/api").',
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
