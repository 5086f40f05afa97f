import { createDpopProofVerifier } from '../dpop/create-dpop-proof-verifier.ts';
import type { DpopProofVerifier } from '../dpop/types.ts';
import {
  KitDpopNonceRequiredError,
  KitDpopProofInvalidError,
  KitInvalidInputError,
  KitInvalidOptionsError,
} from '../errors.ts';
import type { AuthKitOptions } from '../options.ts';
import type { SessionDpopProof } from './types.ts';

/**
 * The kit's DPoP proof verifier, made from its `dpop` option on the kit's clock, or `undefined`
 * without the option. A bad option throws `ERR_INVALID_OPTIONS` naming it.
 *
 * @internal
 */
export function createKitDpopVerifier(
  option: AuthKitOptions['dpop'],
  clock: () => number,
): DpopProofVerifier | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new KitInvalidOptionsError(
      '`dpop` must be an object: { replayCache, algorithms?, maxAge?, clockTolerance? } (or left out for no DPoP).',
    );
  }
  try {
    // The kit's clock, whatever the object carries: one clock decides every expiry.
    return createDpopProofVerifier({ ...option, clock });
  } catch (error) {
    if (error instanceof KitInvalidOptionsError) {
      throw new KitInvalidOptionsError(`In \`dpop\`: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/**
 * The proof a `createSession` or `refresh` call passed, checked to be a request object, or
 * `undefined` when it passed none. A call that passes one to a kit without the `dpop` option is
 * refused: silently ignoring it would open (or refresh) a Bearer session the client believes bound.
 *
 * @internal
 */
export function checkDpopInput(
  input: SessionDpopProof | undefined,
  verifier: DpopProofVerifier | undefined,
): SessionDpopProof | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== 'object' || input === null) {
    throw new KitInvalidInputError("`dpop` must be { proof, method, url }: the request's DPoP proof.");
  }
  if (verifier === undefined) throw dpopNotConfigured();
  if ('accessToken' in input && input.accessToken !== undefined) {
    // A proof at the token endpoint has no `ath`; passing an access token is the caller's mistake.
    throw new KitInvalidInputError('`dpop` takes no `accessToken` when opening or refreshing a session.');
  }
  return input;
}

/**
 * The error of a DPoP request (a proof, or the refresh of a bound session) on a kit without the
 * `dpop` option.
 *
 * @internal
 */
export function dpopNotConfigured(): KitInvalidOptionsError {
  return new KitInvalidOptionsError(
    'This request needs DPoP and the kit has no `dpop` option: set createAuthKit({ dpop: { replayCache } }) (sessions bound to a DPoP key are never refreshed as Bearer sessions).',
  );
}

/** Whether `error` is the client's failed proof (rather than the caller's mistake or an outage). @internal */
export function isProofFailure(error: unknown): boolean {
  return error instanceof KitDpopProofInvalidError || error instanceof KitDpopNonceRequiredError;
}
