import type { AuthKit } from '@kit/core';
import type { Context, Handler, Input, ToSchema, TypedResponse } from 'hono';
import type { BlankInput, BlankSchema } from 'hono/types';
import type { ClientErrorStatusCode, ServerErrorStatusCode } from 'hono/utils/http-status';
import type { KitSessionEnv } from '../create-session-auth.ts';
import type { OpenApiOperation } from '../openapi/openapi-types.ts';
import type { ResolvedRoutesOptions } from '../options.ts';

/**
 * The middleware a route runs behind. Each one also writes its own part of the route's OpenAPI
 * operation (see `guardedOperation`), so the document states what the middleware answers.
 *
 * - `tokenLimit`, `revokeLimit`: the rate limits of `POST /token` and `POST /revoke` (429 only
 *   while that limit is configured);
 * - `session`: {@link createSessionAuth} (Bearer, a live session).
 * @internal
 */
export type RouteGuard = 'tokenLimit' | 'revokeLimit' | 'session';

/** What a route's handler is built from, once per `createKitRoutes` call. @internal */
export interface RouteContext {
  kit: AuthKit;
  options: ResolvedRoutesOptions;
  clientAddress: (c: Context) => string | undefined;
  /** The answer to a thrown error (the one error table), logged by code. */
  fail: (error: unknown) => Response;
}

/** What a route's OpenAPI operation depends on: the options the routes run with. @internal */
export interface DocumentContext {
  /** The cookie-mode request header as configured, or `undefined` without cookie mode. */
  cookieHeader: string | undefined;
}

/**
 * One route of {@link createKitRoutes}, and its OpenAPI operation: the one table both the routes
 * and {@link createOpenApiDocument} are made from.
 *
 * `I` and `R` are type-only: what Hono's `hc` client may send (`{ in: { form: ... } }`, ...) and
 * the typed answers it gets back. The handler reads the request itself (the kit's own parsers and
 * 4xx rules), so no validator middleware supplies these types.
 * @internal
 */
export interface KitRoute<
  M extends 'get' | 'post' | 'delete' = 'get' | 'post' | 'delete',
  P extends string = string,
  I extends Input = BlankInput,
  R = unknown,
> {
  method: M;
  /** Hono path below `basePath`, e.g. `/sessions/:id`. */
  path: P;
  guard?: RouteGuard;
  handler: (context: RouteContext) => Handler<KitSessionEnv>;
  /** The route's own answers; its guard's answers are added by `guardedOperation`. */
  operation: (context: DocumentContext) => OpenApiOperation;
  /** Never set: carries `I` and `R` for {@link KitRoutesSchema}. */
  readonly types?: { input: I; response: R };
}

/** Any status of an RFC 6749 §5.2 error answer (the document lists each route's own). */
export type ErrorStatus = ClientErrorStatusCode | ServerErrorStatusCode;

/** The JSON body of every error answer (RFC 6749 §5.2). */
export interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

/** A route's typed answers: `Success`, or an RFC 6749 §5.2 error. @internal */
export type Answers<Success> = Success | TypedResponse<OAuthErrorBody, ErrorStatus, 'json'>;

type TrimTrailingSlash<B extends string> = B extends `${infer Rest}/` ? TrimTrailingSlash<Rest> : B;

/** The Hono schema of a route table mounted under `BasePath`, as chained routes would make it. */
export type RoutesSchema<
  Routes extends readonly unknown[],
  BasePath extends string,
> = Routes extends readonly [infer Head, ...infer Tail]
  ? (Head extends KitRoute<infer M, infer P, infer I, infer R>
      ? ToSchema<M, `${TrimTrailingSlash<BasePath>}${P}`, I, R>
      : never) &
      RoutesSchema<Tail, BasePath>
  : BlankSchema;
