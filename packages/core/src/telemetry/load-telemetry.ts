import type { OpenTelemetryApi } from './open-telemetry-api.ts';
import { resolveTelemetry } from './resolve-telemetry.ts';
import type { Telemetry } from './telemetry.ts';

export type { TelemetryOption, TelemetryProviders } from './resolve-telemetry.ts';

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
  return resolveTelemetry(option, scope, findOpenTelemetryApi);
}
