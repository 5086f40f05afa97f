import { equalInConstantTime } from '../dpop/constant-time.ts';
import { createDpopProofVerifierWith } from '../dpop/create-dpop-proof-verifier-with.ts';
import { createMemoryDpopReplayCache } from '../dpop/create-memory-dpop-replay-cache.ts';
import { type DpopCrypto, webDpopCrypto } from '../dpop/dpop-crypto.ts';
import type { DpopReplayCache } from '../dpop/replay-cache.ts';
import type { DpopProofVerifier } from '../dpop/types.ts';
import {
  KitDpopProofInvalidError,
  KitInvalidInputError,
  KitInvalidOptionsError,
  KitJwtClaimInvalidError,
} from '../errors.ts';
import { readAuthorization } from './read-authorization.ts';
import type {
  RequestDpopOptions,
  RequestVerifier,
  RequestVerifierOptions,
  VerifiableRequest,
  VerifiedRequest,
} from './request-verifier-types.ts';
import type { AccessTokenClaims } from './types.ts';

/** Remembers every key, keeps nothing: `dpop.replayCache: false`. */
const NO_REPLAY_CACHE: DpopReplayCache = Object.freeze({ remember: async () => true });

/**
 * Creates a verifier of HTTP requests' credentials, for protected resources (RFC 6750, RFC 9449
 * §7). Its `verify` accepts a request only if all of these hold, and otherwise rejects with a
 * `KitError` whose `code` says why:
 *
 * - an `Authorization` header `Bearer <token>` or `DPoP <token>` (either scheme in any case);
 *   `ERR_INVALID_INPUT` otherwise, a missing header included (RFC 6750 §3 answers a missing one
 *   with a bare 401 challenge, a malformed one with 400 `invalid_request`: test for the header
 *   first to tell them apart). With `dpop: false`, the `DPoP` scheme is refused this way too;
 * - with `DPoP`, a `DPoP` header (`ERR_DPOP_PROOF_INVALID`, `check` `missing`), looked for before
 *   the token is verified;
 * - the access token passes `options.verify` (its own errors: `ERR_JWT_EXPIRED`...);
 * - with `Bearer`, the token has no `cnf` claim: a token bound to a key is refused when presented
 *   as a bearer token (`ERR_JWT_CLAIM_INVALID`, `claim` `cnf`);
 * - with `DPoP`, the token has a `cnf.jkt` (`ERR_JWT_CLAIM_INVALID`, `claim` `cnf`), then the proof
 *   passes every check of `createDpopProofVerifier` for this request: `htm` the request method,
 *   `htu` its URL, `ath` the token's SHA-256, `iat` recent, not a replay (`ERR_DPOP_PROOF_INVALID`
 *   with its `check`), and last the proof key's thumbprint equals `cnf.jkt`, compared in constant
 *   time (`ERR_JWT_CLAIM_INVALID`, `claim` `cnf`: the token is not the sender's).
 *
 * A replay cache that cannot answer rejects with its own error (`ERR_STORE_UNAVAILABLE`): the
 * request is refused rather than risk a replay. No error message carries any part of the token or
 * the proof. What `dpop.replayCache` guarantees, in one process and at the edge, is in
 * {@link RequestDpopOptions}. Options are checked here, once.
 *
 * `verify(token)` of `createVerifier` alone does not know how a token was presented, so it cannot
 * refuse a bound token sent as `Bearer`: a protected resource reads requests through this.
 *
 * Exported by `@kit/core/verify` (with Web Crypto; on the `node` export condition, with
 * `node:crypto` where it is available). A Worker that does not import it does not carry it.
 *
 * @example
 * ```ts
 * import { createRequestVerifier, createVerifier, KitError } from '@kit/core/verify';
 *
 * const requests = createRequestVerifier({
 *   verify: createVerifier({ issuer, audience, jwksUrl }),
 * });
 *
 * export default {
 *   async fetch(request: Request): Promise<Response> {
 *     if (!request.headers.has('authorization')) {
 *       return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer, DPoP algs="ES256"' } });
 *     }
 *     try {
 *       const { claims, jkt } = await requests.verify(request);
 *       return Response.json({ sub: claims.sub, jkt });
 *     } catch (error) {
 *       if (error instanceof KitError) return Response.json({ code: error.code }, { status: 401 });
 *       throw error;
 *     }
 *   },
 * };
 * ```
 */
export function createRequestVerifier<C extends AccessTokenClaims = AccessTokenClaims>(
  options: RequestVerifierOptions<C>,
): RequestVerifier<C> {
  return createRequestVerifierWith(options, webDpopCrypto);
}

/**
 * {@link createRequestVerifier} over a given {@link DpopCrypto}: Web Crypto (the default entry) or
 * `node:crypto` (the `node` export condition).
 *
 * @internal
 */
export function createRequestVerifierWith<C extends AccessTokenClaims>(
  options: RequestVerifierOptions<C>,
  crypto: DpopCrypto,
): RequestVerifier<C> {
  if (typeof options !== 'object' || options === null || typeof options.verify !== 'function') {
    throw new KitInvalidOptionsError(
      "createRequestVerifier needs { verify }: the function createVerifier returns, or the kit's verifyAccessToken.",
    );
  }
  const verifyToken = options.verify;
  const proofs = createProofVerifier(options.dpop, crypto);

  async function verify(input: VerifiableRequest | Request): Promise<VerifiedRequest<C>> {
    const request = readRequest(input);
    const authorization = request.authorization;
    const credentials =
      typeof authorization === 'string' && authorization !== ''
        ? readAuthorization(authorization)
        : undefined;
    if (credentials === undefined || (credentials.scheme === 'DPoP' && proofs === undefined)) {
      throw new KitInvalidInputError(
        proofs === undefined
          ? 'The Authorization header is not "Bearer <token>".'
          : 'The Authorization header is not "Bearer <token>" or "DPoP <token>".',
      );
    }
    const { scheme, token } = credentials;
    // Checked before the token, which can cost a key-set fetch: no proof, no work.
    if (scheme === 'DPoP' && isAbsent(request.dpop)) {
      throw new KitDpopProofInvalidError('missing');
    }
    const claims = await verifyToken(token);
    const cnf = (claims as { cnf?: unknown }).cnf;
    if (scheme === 'Bearer') {
      // RFC 9449 §7.2: a sender-constrained token is no bearer token. Any `cnf` counts: a binding
      // this verifier cannot check (mTLS's `x5t#S256`) is still one.
      if (cnf !== undefined) {
        throw new KitJwtClaimInvalidError(
          'cnf',
          'The access token is bound to a key ("cnf"): present it with the DPoP scheme and a proof.',
        );
      }
      return { claims, scheme };
    }
    const jkt = boundThumbprint(cnf);
    const proof = await (proofs as DpopProofVerifier).verify({
      proof: request.dpop,
      method: request.method,
      url: request.url,
      accessToken: token,
    });
    // Last: the proof is valid, and was made by the key the token is bound to, or the token is
    // not this sender's.
    if (!equalInConstantTime(proof.jkt, jkt)) {
      throw new KitJwtClaimInvalidError(
        'cnf',
        'The access token is bound to another key than the one that signed the DPoP proof.',
      );
    }
    return { claims, scheme, jkt: proof.jkt };
  }

  return Object.freeze({ verify, algorithms: proofs?.algorithms ?? Object.freeze([]) });
}

function createProofVerifier(
  dpop: RequestDpopOptions | false | undefined,
  crypto: DpopCrypto,
): DpopProofVerifier | undefined {
  if (dpop === false) return undefined;
  if (dpop !== undefined && (typeof dpop !== 'object' || dpop === null)) {
    throw new KitInvalidOptionsError(
      'Set `dpop` to the options of DPoP proofs, to `false`, or leave it out.',
    );
  }
  const { replayCache, ...rest } = dpop ?? {};
  if (replayCache !== undefined && replayCache !== false && typeof replayCache?.remember !== 'function') {
    throw new KitInvalidOptionsError(
      "Set `dpop.replayCache` to a DPoP replay cache (createRedisDpopReplayCache, createMikroOrmDpopReplayCache...), to `false` for none (replays bounded by the proof window only), or leave it out for one in this process's memory.",
    );
  }
  return createDpopProofVerifierWith(
    {
      ...rest,
      replayCache: replayCache === false ? NO_REPLAY_CACHE : (replayCache ?? createMemoryDpopReplayCache()),
    },
    crypto,
  );
}

/** No `DPoP` header at all: none, an empty value, an empty list. */
function isAbsent(proof: VerifiableRequest['dpop']): boolean {
  return (
    proof === undefined || proof === null || proof === '' || (Array.isArray(proof) && proof.length === 0)
  );
}

/** The `cnf.jkt` of a token presented with DPoP, or a `cnf` failure. */
function boundThumbprint(cnf: unknown): string {
  const jkt =
    typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf)
      ? (cnf as { jkt?: unknown }).jkt
      : undefined;
  if (typeof jkt !== 'string' || jkt === '') {
    throw new KitJwtClaimInvalidError(
      'cnf',
      'The access token is not bound to a DPoP key ("cnf.jkt"): present it with the Bearer scheme.',
    );
  }
  return jkt;
}

/** The request's parts, from a plain object or a Fetch API `Request`. */
function readRequest(input: VerifiableRequest | Request): VerifiableRequest {
  if (typeof input !== 'object' || input === null) {
    throw new KitInvalidInputError(
      'verify needs a request: { authorization, dpop, method, url }, or a Request.',
    );
  }
  if (typeof Request === 'function' && input instanceof Request) {
    return {
      authorization: input.headers.get('authorization'),
      dpop: input.headers.get('dpop'),
      method: input.method,
      url: input.url,
    };
  }
  const request = input as VerifiableRequest;
  if (
    request.authorization !== undefined &&
    request.authorization !== null &&
    typeof request.authorization !== 'string'
  ) {
    throw new KitInvalidInputError('`authorization` must be the Authorization header value.');
  }
  return request;
}
