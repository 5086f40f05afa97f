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

import { dpopCrypto } from '../dpop/node-dpop-crypto.ts';
import { findOpenTelemetryApi } from '../telemetry/load-telemetry.ts';
import { webCryptoBackend } from './backend.ts';
import { createRequestVerifierWith } from './create-request-verifier.ts';
import { createVerifierWith } from './create-verifier.ts';
import { createNodeBackend } from './node-backend.ts';
import type { RequestVerifier, RequestVerifierOptions } from './request-verifier-types.ts';
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

/**
 * Creates a verifier of HTTP requests' credentials (`Bearer`, or `DPoP` with a proof):
 * {@link createRequestVerifierWith} with proofs checked through `node:crypto` where the runtime
 * has it. Same options, checks and error codes as the Web Crypto one of the default entry.
 */
export function createRequestVerifier<C extends AccessTokenClaims = AccessTokenClaims>(
  options: RequestVerifierOptions<C>,
): RequestVerifier<C> {
  return createRequestVerifierWith(options, dpopCrypto);
}
