import type { KitContext } from './context.ts';
import type { ReadinessReport } from './types.ts';

/** A session id no session has (`crypto.randomUUID` never makes it): the fallback readiness read. */
const NIL_SESSION_ID = '00000000-0000-0000-0000-000000000000';

/** `kit.checkReady`: the store's ping and the freshness of the signing keys. Never rejects. @internal */
export async function checkReady(ctx: KitContext): Promise<ReadinessReport> {
  const { store, keys } = ctx;
  // Through a promise chain, so a store method that throws at once reports like one that rejects.
  const database = Promise.resolve()
    .then((): Promise<unknown> => (store.ping ? store.ping() : store.find(NIL_SESSION_ID)))
    .then(
      () => 'ok' as const,
      () => 'unavailable' as const,
    );
  const signingKeys = (async () => {
    try {
      if (!keys.stale(ctx.now())) return 'ok' as const;
      await keys.refresh();
      return keys.stale(ctx.now()) ? ('unavailable' as const) : ('ok' as const);
    } catch {
      return 'unavailable' as const;
    }
  })();
  const checks = { database: await database, signingKeys: await signingKeys };
  return { ready: checks.database === 'ok' && checks.signingKeys === 'ok', checks };
}
