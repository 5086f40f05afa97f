import type { KitErrorCode } from '@kit/core';

/**
 * How one {@link KitErrorCode} is answered over HTTP: the status, the OAuth error code
 * (RFC 6749 §5.2 / RFC 6750 §3.1) and a fixed description. The description never comes from the
 * error itself, so nothing the client sent can travel back in it.
 */
export interface KitErrorHttp {
  status: 400 | 401 | 404 | 500 | 503;
  error:
    | 'invalid_request'
    | 'invalid_grant'
    | 'invalid_token'
    | 'invalid_dpop_proof'
    | 'use_dpop_nonce'
    | 'not_found'
    | 'server_error'
    | 'temporarily_unavailable';
  description: string;
}

const INVALID_GRANT: KitErrorHttp = {
  status: 400,
  error: 'invalid_grant',
  description: 'The refresh token is invalid, expired or revoked.',
};
const INVALID_TOKEN: KitErrorHttp = {
  status: 401,
  error: 'invalid_token',
  description: 'The access token is invalid or expired.',
};
const SERVER_ERROR: KitErrorHttp = {
  status: 500,
  error: 'server_error',
  description: 'The server could not complete the request.',
};
const UNAVAILABLE: KitErrorHttp = {
  status: 503,
  error: 'temporarily_unavailable',
  description: 'The service is temporarily unavailable; retry later.',
};

/**
 * The one table mapping every kit error code to its HTTP answer. It is a
 * `Record<KitErrorCode, ...>`: a code added to `@kit/core` fails compilation here until it is
 * mapped. Refresh-token and session failures are `invalid_grant` (RFC 6749 §5.2), access-token
 * failures `invalid_token` (RFC 6750 §3.1), DPoP proof failures `invalid_dpop_proof` and
 * `use_dpop_nonce` (RFC 9449), an unreachable store `temporarily_unavailable` (503,
 * sent with `Retry-After`), misconfiguration and store faults `server_error` (500).
 */
export const KIT_ERROR_HTTP: Readonly<Record<KitErrorCode, KitErrorHttp>> = Object.freeze({
  ERR_INVALID_OPTIONS: SERVER_ERROR,
  ERR_INVALID_INPUT: { status: 400, error: 'invalid_request', description: 'The request is malformed.' },
  ERR_REFRESH_TOKEN_MALFORMED: INVALID_GRANT,
  ERR_REFRESH_TOKEN_INVALID: INVALID_GRANT,
  ERR_REFRESH_TOKEN_REUSED: INVALID_GRANT,
  ERR_SESSION_EXPIRED: INVALID_GRANT,
  ERR_SESSION_REVOKED: INVALID_GRANT,
  ERR_SESSION_NOT_FOUND: { status: 404, error: 'not_found', description: 'No such session.' },
  ERR_STORE_UNAVAILABLE: UNAVAILABLE,
  ERR_STORE_FAILURE: SERVER_ERROR,
  ERR_KEY_INVALID: SERVER_ERROR,
  // Administration only (key deletion, purges): no route of the kit raises them.
  ERR_KEY_NOT_FOUND: SERVER_ERROR,
  ERR_KEY_IN_USE: SERVER_ERROR,
  ERR_PURGE_IN_PROGRESS: SERVER_ERROR,
  ERR_JWT_MALFORMED: INVALID_TOKEN,
  ERR_JWT_INVALID: INVALID_TOKEN,
  ERR_JWT_EXPIRED: INVALID_TOKEN,
  ERR_JWT_REVOKED: INVALID_TOKEN,
  ERR_JWT_ALG_NOT_ALLOWED: INVALID_TOKEN,
  ERR_JWT_CLAIM_INVALID: INVALID_TOKEN,
  ERR_JWKS_NO_MATCHING_KEY: INVALID_TOKEN,
  ERR_JWKS_FETCH_FAILED: UNAVAILABLE,
  ERR_JWKS_INVALID: UNAVAILABLE,
  // RFC 9449 §5 and §8, as a token endpoint answers them. A protected resource answers them with
  // 401 and a `WWW-Authenticate: DPoP` challenge instead (§7.1, §9).
  ERR_DPOP_PROOF_INVALID: {
    status: 400,
    error: 'invalid_dpop_proof',
    description: 'The DPoP proof is missing or invalid.',
  },
  ERR_DPOP_NONCE_REQUIRED: {
    status: 400,
    error: 'use_dpop_nonce',
    description: 'The DPoP proof must carry the nonce the server provided.',
  },
});
