/**
 * In-process figures run inside the HTTP bench's server process (http-server.ts), so that one
 * process with an OpenTelemetry SDK registered and one without measure the same kit code on
 * their own CPU, in rounds the parent alternates (telemetry.ts). Each variant's callers are
 * prepared once ({@link prepareRounds}) and measured one window per request.
 *
 * Requests (added to the server's handlers):
 * - `in-process` `{ key, operation, concurrency, warmupMs }`: prepares `operation`'s callers
 *   under `key` (see {@link InProcessOperation});
 * - `in-process-window` `{ key, durationMs }`: measures one more window;
 * - `in-process-result` `{ key }`: the windows so far, combined ({@link RunResult}).
 */
import type { AuthKit, SessionStore } from '@kit/core';
import { createVerifier } from '@kit/core/verify';
import { createCpuOnlyStore } from './breakdown.ts';
import { type MakeOperation, prepareRounds, type Rounds, type RunResult } from './harness.ts';
import { kitRefresh } from './refresh.ts';
import { mintAccessToken } from './verify.ts';

/**
 * - `refresh`: `kit.refresh` on the server's kit (MikroORM store on PostgreSQL), each caller
 *   chaining its own session;
 * - `refresh-memory`: `kit.refresh` on a kit of the same options whose store is in memory: only
 *   the kit's own work, so the cost of telemetry weighs most there;
 * - `verifier`: `createVerifier` of `@kit/core/verify` (the `node:crypto` path) with the kit's
 *   JWKS, verifying one access token.
 */
export type InProcessOperation = 'refresh' | 'refresh-memory' | 'verifier';

/** The handlers to add to the server's own, for `kit` and kits of its options on other stores. */
export function answerInProcess(
  kit: AuthKit,
  makeKit: (store: SessionStore) => Promise<AuthKit>,
): Record<string, (request: Record<string, unknown>) => unknown> {
  const prepared = new Map<string, Rounds>();
  let memoryKit: Promise<AuthKit> | undefined;

  const operations: Record<InProcessOperation, (concurrency: number) => Promise<MakeOperation>> = {
    refresh: async (concurrency) => kitRefresh(kit, concurrency),
    'refresh-memory': async (concurrency) => {
      memoryKit ??= makeKit(createCpuOnlyStore());
      return kitRefresh(await memoryKit, concurrency);
    },
    verifier: async () => {
      const token = await mintAccessToken(kit);
      const verify = createVerifier({
        issuer: kit.config.issuer,
        audience: kit.config.audience,
        jwks: kit.jwks(),
      });
      return () => async () => {
        const claims = await verify(token);
        if (claims.sid === undefined) throw new Error('createVerifier returned no claims.');
      };
    },
  };

  const rounds = (key: unknown): Rounds => {
    const found = prepared.get(String(key));
    if (!found) throw new Error(`no in-process figure ${String(key)} prepared`);
    return found;
  };

  return {
    async 'in-process'({ key, operation, concurrency, warmupMs }) {
      const make = operations[operation as InProcessOperation];
      if (!make) throw new Error(`no in-process operation ${String(operation)}`);
      const callers = Number(concurrency);
      prepared.set(
        String(key),
        await prepareRounds(
          { concurrency: callers, warmupMs: Number(warmupMs), durationMs: 0 },
          await make(callers),
        ),
      );
      return true;
    },
    async 'in-process-window'({ key, durationMs }) {
      await rounds(key).window(Number(durationMs));
      return true;
    },
    'in-process-result': ({ key }): RunResult => rounds(key).result(),
  };
}
