import type { Session } from '../session.ts';
import type { AccessTokenClaims } from '../verify/types.ts';

/**
 * The host's own types, given once to `createAuthKit<T>()`: `claims`, what the `claims` hook adds
 * to every access token, and `data`, the JSON object kept as each session's `data`. They flow to
 * `kit.createSession`, `kit.refresh`, `kit.sessions.*`, the events, the `claims` hook and
 * `kit.verifyAccessToken`, and from the kit to `@kit/hono`'s middleware. Leave either out for
 * the untyped default (`Record<string, unknown>`).
 *
 * They are the host's word, not checked at run time: the kit stores whatever JSON object it is
 * given and verifies signatures, not claim types. Declare `data` as a type alias (`type`), not an
 * interface: only type aliases satisfy `Record<string, unknown>`.
 *
 * @example
 * ```ts
 * type Types = { claims: { role: 'admin' | 'user' }; data: { device: string } };
 * const kit = await createAuthKit<Types>({ ...options, claims: ({ session }) => ({ role: roleOf(session.userId) }) });
 * const { session } = await kit.createSession({ userId, data: { device: 'laptop' } });
 * session.data.device; // string
 * (await kit.verifyAccessToken(token)).role; // 'admin' | 'user'
 * ```
 */
export interface KitTypes {
  /** Claims the `claims` hook adds to every access token (never a reserved claim such as `sub`). */
  claims?: object;
  /** Each session's `data`. */
  data?: Record<string, unknown>;
}

/**
 * The claims of an access token the kit of `T` issues: {@link AccessTokenClaims} and
 * `T['claims']`. What `kit.verifyAccessToken` resolves with and `c.var.claims` holds in `@kit/hono`.
 */
export type KitClaims<T extends KitTypes = KitTypes> = T extends { claims: infer C extends object }
  ? AccessTokenClaims & C
  : AccessTokenClaims;

/**
 * The `data` of a session of the kit of `T`: `T['data']`, or `Record<string, unknown>`.
 */
export type KitSessionData<T extends KitTypes = KitTypes> = T extends {
  data: infer D extends Record<string, unknown>;
}
  ? D
  : Record<string, unknown>;

/**
 * The `claims` option of `createAuthKit`: with `T['claims']` declared it must return them; without,
 * any plain object or nothing.
 */
export type KitClaimsHook<T extends KitTypes = KitTypes> = (context: {
  session: Session<KitSessionData<T>>;
}) => T extends { claims: infer C extends object }
  ? C | Promise<C>
  : Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
