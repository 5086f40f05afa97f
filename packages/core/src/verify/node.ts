/**
 * `@kit/core/verify` under the `node` export condition: the same API as the default entry, with
 * signatures checked through `node:crypto` (KeyObjects made once per `kid`) instead of
 * `crypto.subtle`, which is markedly slower on Node. Selected by the package's `exports`, so
 * bundles for other runtimes never include it. Where `node:crypto` is missing it falls back to
 * Web Crypto.
 *
 * @example
 * ```ts
 * import { createVerifier } from '@kit/core/verify'; // this file on Node
 *
 * const verify = createVerifier({ issuer, audience, jwksUrl });
 * ```
 *
 * @module
 */

import { findOpenTelemetryApi } from '../telemetry/load-telemetry.ts';
import { webCryptoBackend } from './backend.ts';
import { createVerifierWith } from './create-verifier.ts';
import { createNodeBackend } from './node-backend.ts';
import type { AccessTokenClaims, AccessTokenVerifier, VerifierOptions } from './types.ts';

export * from './index.ts';

const backend = createNodeBackend() ?? webCryptoBackend;

/**
 * Creates an access-token verifier: {@link createVerifierWith} over `node:crypto`. Same options,
 * checks and error codes as the Web Crypto verifier of the default entry; with `telemetry` left out,
 * it also looks for `@opentelemetry/api` (imported at run time, as the kit does).
 */
export function createVerifier<C extends object = AccessTokenClaims>(
  options: VerifierOptions,
): AccessTokenVerifier<C> {
  return createVerifierWith(options, backend, {
    findTelemetry: findOpenTelemetryApi,
  }) as AccessTokenVerifier<C>;
}
