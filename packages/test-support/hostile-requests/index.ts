/**
 * Hostile request bodies for `POST /token` and `POST /revoke`, hostile refresh tokens, and a model
 * of the answer each body must get (see `model.ts`).
 *
 * @module
 */
export { REVOKE_ROUTE, type Route, TOKEN_ROUTE } from './encoding.ts';
export {
  type BodyCase,
  bytesOf,
  type Expected,
  expectedRevokeAnswer,
  expectedTokenAnswer,
  LIMIT_BYTES,
  readModel,
} from './model.ts';
export { badRefreshTokenArb } from './refresh-tokens.ts';
export { requestArb } from './request-arb.ts';
